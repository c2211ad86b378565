#!/usr/bin/env node
import 'reflect-metadata';
import { main } from '../dist/src/cli/index.js';

await main(process.argv);
