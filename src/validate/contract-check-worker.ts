/** Worker thread of `checkContractInWorker`: the full contract load (with the AsyncAPI spec validation) and its verdict. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadContracts } from '../contract/load.js';
import { judgeContract, type SpecCheckRequest, type Verdict } from './contract-check.js';

const { contract, limits, root } = workerData as SpecCheckRequest;
const { system: _, ...verdict } = judgeContract(await loadContracts([contract], { limits, ...(root ? { root } : {}) }), contract);
parentPort!.postMessage(verdict as Verdict);
