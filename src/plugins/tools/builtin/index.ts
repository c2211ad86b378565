import type { ToolDefinition } from '../contract.js';
import type { SandboxInfo } from '../sandbox.js';
import { editFileTool } from './edit-file.js';
import { findFilesTool } from './find-files.js';
import { listDirectoryTool } from './list-directory.js';
import { readFileTool } from './read-file.js';
import { searchFilesTool } from './search-files.js';
import { createShellTool } from './shell.js';
import { writeFileTool } from './write-file.js';

/** The built-in tools, in the order the model sees them. */
export function builtinTools(sandbox: () => SandboxInfo, env: NodeJS.ProcessEnv): ToolDefinition[] {
  return [readFileTool, listDirectoryTool, findFilesTool, searchFilesTool, writeFileTool, editFileTool, createShellTool(sandbox, env)];
}
