// Worker threads start without the parent's TypeScript loader (tsx or vitest), so this plain-JS
// entry registers tsx in the thread and then loads the real thread module.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
