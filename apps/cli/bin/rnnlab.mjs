#!/usr/bin/env node
// The `rnnlab` command: runs the TypeScript entry through tsx, as the repository's other processes do.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
