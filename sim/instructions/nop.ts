/** nop: a synchronisation point on its unit; one cycle, touches nothing. */
import type { InstructionBehaviour } from './behaviour.js';
import { noTraffic } from '../footprint.js';

export const nop: InstructionBehaviour<'nop'> = {
  reportClass: 'sync',
  footprint: () => ({ accesses: [], traffic: noTraffic() }),
  cost: () => ({ cycles: 1, channelCycles: 0 }),
  execute: () => {},
};
