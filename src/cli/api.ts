/**
 * `@event-contracts/cli` as a library: the `evc` dispatcher, contract loading and code
 * generation, for build scripts that would rather call than spawn.
 *
 * @example
 * import { generate } from '@event-contracts/cli';
 * const result = await generate({ contracts: ['asyncapi/'], out: 'src/generated' });
 */
export { main, registerCommand, type Command } from './main.js';
export {
  generate,
  readConfig,
  DEFAULT_RUNTIME_IMPORT,
  type GenerateOptions,
  type GenerateProgress,
  type GenerateResult,
  type EvcConfig,
} from '../codegen/index.js';
export { loadContract, loadContracts, formatDiagnostics, isContractError, ContractError, type LoadOptions } from '../contract/index.js';
