// Every side panel, in tab order. A new panel: one file here, one line below.
import type { Panel } from './panel.js';
import { filesPanel } from './files.js';
import { profilesPanel } from './profiles.js';
import { voicePanel } from './voice.js';

export const PANELS: Panel[] = [
  profilesPanel,
  voicePanel,
  filesPanel,
];
