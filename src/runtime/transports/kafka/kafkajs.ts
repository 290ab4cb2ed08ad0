/** kafkajs, an optional peer dependency of the runtime: loaded when this entry point is. */
import type * as KafkaJS from 'kafkajs';
import { requirePeer } from '../../peer.js';

export const kafkajs: typeof KafkaJS = requirePeer<typeof KafkaJS>('kafkajs', '@event-contracts/runtime/kafka');
