/** Code generation: `generate()` (the library behind `evc generate`), the printer, planning and the docs output. */
export { generate, version, GENERATOR_NAME, type FileChange, type GenerateOptions, type GenerateProgress, type GenerateResult } from './generate.js';
export { planSystem, systemFolder, outputs, type PlannedFile, type PlanOptions, type Template } from './plan.js';
export { planDocs, generatedDocsFiles, isGeneratedDocs, DOCS_FOLDER, type PlanDocsOptions } from './docs.js';
export { compareFiles, applyChanges } from './output.js';
export { Spool, SpoolError, isSpooled, lineText, type SpooledText, type Line } from './spool.js';
export { createTemplateContext, type TemplateContext, type MessagePlan, type ChannelPlan, type OperationPlan } from './context.js';
export {
  createGeneratedFile,
  stringLiteral,
  jsonLiteral,
  jsdocLines,
  commentText,
  preambleLines,
  type GeneratedFile,
  type ImportSymbol,
  type Preamble,
  type Printable,
} from './printer.js';
export { readConfig, ConfigError, DEFAULT_RUNTIME_IMPORT, DEFAULT_EMIT, type EvcConfig, type Emit } from './config.js';
