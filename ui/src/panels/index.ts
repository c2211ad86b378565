// Every side panel, in tab order. A new panel: one file here, one line below.
import type { Panel } from './panel.js';
import { profilesPanel } from './profiles.js';

export const PANELS: Panel[] = [
  profilesPanel,
];
