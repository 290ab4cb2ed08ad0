export * from './ir.js';
export { ContractError, isContractError } from './errors.js';
export { loadContract, loadContracts, findContracts, type LoadOptions } from './load.js';
export { pascalCase, camelCase, safeIdentifier, createNameRegistry, words } from './names.js';
export { formatDiagnostics, type DiagnosticFormat } from './diagnostics.js';
