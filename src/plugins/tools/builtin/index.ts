import type { ToolDefinition } from '../contract.js';
import type { Fence } from '../fence.js';
import { findRipgrep } from '../ripgrep.js';
import type { SandboxInfo } from '../sandbox.js';
import { createEditFileTool } from './edit-file.js';
import { createFindFilesTool } from './find-files.js';
import { createListDirectoryTool } from './list-directory.js';
import { createReadFileTool } from './read-file.js';
import { createSearchFilesTool } from './search-files.js';
import { createShellTool } from './shell.js';
import { createWriteFileTool } from './write-file.js';

/** The built-in tools, in the order the model sees them, all behind one fence. */
export function builtinTools(sandbox: () => SandboxInfo, env: NodeJS.ProcessEnv, fence: Fence): ToolDefinition[] {
  let rg: string | undefined | null = null;
  const rgPath = () => (rg === null ? (rg = findRipgrep(env.PATH)) : rg);
  return [
    createReadFileTool(fence),
    createListDirectoryTool(fence),
    createFindFilesTool(fence),
    createSearchFilesTool(fence, rgPath),
    createWriteFileTool(fence),
    createEditFileTool(fence),
    createShellTool(sandbox, env, fence),
  ];
}
