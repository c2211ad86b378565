// Every side panel, in tab order. A new panel: one file here, one line below.
import { filesPanel } from './files.js';
import { hubPanel } from './hub.js';
import { logsPanel } from './logs.js';
import { mcpPanel } from './mcp.js';
import type { Panel } from './panel.js';
import { profilesPanel } from './profiles.js';
import { rulesPanel } from './rules.js';
import { voicePanel } from './voice.js';

export const PANELS: Panel[] = [
  profilesPanel,
  mcpPanel,
  rulesPanel,
  hubPanel,
  logsPanel,
  voicePanel,
  filesPanel,
];
