#!/usr/bin/env node
// The bundled CLI with its code cache, or the tsc output when there is no fresh bundle (src/boot).
import { launch } from '../dist/src/boot/launch.js';

await launch(process.argv);
