// Every side panel, in tab order. A new panel: one file here, one line below.
import type { Panel } from './panel.js';
import { mcpPanel } from './mcp.js';
import { profilesPanel } from './profiles.js';
import { rulesPanel } from './rules.js';

export const PANELS: Panel[] = [
  profilesPanel,
  mcpPanel,
  rulesPanel,
];
