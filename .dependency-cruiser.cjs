/**
 * The folders' dependency rule (docs/architecture.md): each layer may import only from its own layer and the
 * layers below it, and nothing may import in a cycle. The layers are in architecture-layers.json; scripts/test.sh
 * runs this check, and test/architecture shows that it fails on a violation.
 */
const { layers: LAYERS } = require('./architecture-layers.json');

const upward = LAYERS.flatMap((low, i) =>
  LAYERS.slice(i + 1).map((high) => ({
    name: `${low.name}-not-on-${high.name}`.replace(/ /g, '-'),
    comment: `${low.name} is below ${high.name}: it may not import from it`,
    severity: 'error',
    from: { path: low.path },
    to: { path: high.path },
  })),
);

module.exports = {
  forbidden: [
    { name: 'no-cycles', comment: 'modules import in layers, never in a cycle', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'everything-in-a-layer',
      comment: 'every source belongs to a layer of docs/architecture.md',
      severity: 'error',
      from: { path: '\\.ts$', pathNot: LAYERS.map((l) => l.path).join('|') },
      to: {},
    },
    {
      name: 'everything-in-a-layer-orphans',
      comment: 'every source belongs to a layer of docs/architecture.md, even one that imports nothing',
      severity: 'error',
      from: { orphan: true, path: '\\.ts$', pathNot: LAYERS.map((l) => l.path).join('|') },
      to: {},
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
