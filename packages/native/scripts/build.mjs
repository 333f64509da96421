// Builds the addon build/rnnlab_native.node with the system C++ compiler against Debian's OpenBLAS.
// npm runs it as this workspace's `install` script (on `npm ci` too: a workspace's own scripts need no
// allowScripts approval). It never fails the install: when the compiler, Node's headers or
// libopenblas-dev are missing it says so, records why in build/status.json and exits 0, and training
// uses tfjs. `npm run build -w @rnnlab/native` rebuilds after editing src/cc; RNNLAB_NATIVE_BUILD=0 skips.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const BUILD = path.join(ROOT, 'build');
const TARGET = path.join(BUILD, 'rnnlab_native.node');
const STATUS = path.join(BUILD, 'status.json');
// Every .cc in src/cc and src/cc/cells (a new cell is its file alone), but kernels.cc, compiled per ISA below.
const SOURCES = ['src/cc', 'src/cc/cells'].flatMap((dir) =>
  fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.cc') && f !== 'kernels.cc').sort().map((f) => path.join(ROOT, dir, f)));
// kernels.cc once per instruction set; dispatch.cc picks one at load time (see src/cc/kernels.h).
const KERNELS = process.arch === 'x64'
  ? [['kernelsGeneric', 'generic', '-march=x86-64'], ['kernelsAvx2', 'avx2', '-march=haswell'], ['kernelsAvx512', 'avx512', '-march=skylake-avx512']]
  : [['kernelsGeneric', 'generic', null]];
const HINT = 'apt-get install g++ make python3 libopenblas-dev';

function record(status) {
  fs.mkdirSync(BUILD, { recursive: true });
  fs.writeFileSync(STATUS, JSON.stringify({ ...status, node: process.version, date: new Date().toISOString() }, null, 2) + '\n');
}

function skip(reason) {
  fs.rmSync(TARGET, { force: true });
  record({ built: false, reason });
  console.warn(`@rnnlab/native: not built (${reason}); training will use tfjs. To build it: ${HINT}, then npm run build -w @rnnlab/native`);
  process.exit(0);
}

/** node_api.h: next to this node binary (Debian, nodejs.org tarballs), else npm's nodedir, else node-gyp's cache. */
function nodeHeaders() {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '../include/node'),
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include/node'),
    path.join(os.homedir(), '.cache/node-gyp', process.versions.node, 'include/node'),
  ].filter(Boolean);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h'))) ?? null;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, output: r.error.message };
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

if (process.env.RNNLAB_NATIVE_BUILD === '0') skip('RNNLAB_NATIVE_BUILD=0');
if (process.platform !== 'linux') skip(`platform ${process.platform}: the build targets Linux`);
const cxx = process.env.CXX || 'g++';
if (!run(cxx, ['--version']).ok) skip(`no C++ compiler (${cxx})`);
const headers = nodeHeaders();
if (!headers) skip(`no Node.js headers (node_api.h) for ${process.version}`);

// OpenBLAS: its cblas.h and libopenblas.so, checked with a two-line program so the reason is plain.
const extra = run('pkg-config', ['--cflags', 'openblas']);
const blasFlags = extra.ok ? extra.output.split(/\s+/).filter(Boolean) : [];
const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-native-'));
const probe = path.join(probeDir, 'probe.cc');
fs.writeFileSync(probe, '#include <cblas.h>\nint main() { float a = 1, b = 1, c = 0; cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1, &a, 1, &b, 1, 0, &c, 1); return c == 1 ? 0 : 1; }\n');
const probed = run(cxx, [...blasFlags, probe, '-o', path.join(probeDir, 'probe'), '-lopenblas']);
fs.rmSync(probeDir, { recursive: true, force: true });
if (!probed.ok) skip(`OpenBLAS (libopenblas-dev) not found: ${probed.output.split('\n').find((l) => /error/.test(l)) ?? probed.output.split('\n')[0]}`);

fs.mkdirSync(BUILD, { recursive: true });
const tmp = `${TARGET}.tmp-${process.pid}`;
// -fno-trapping-math lets GCC if-convert the clamps in vmath.h, so the elementwise loops vectorise.
const common = ['-O3', '-std=gnu++17', '-fPIC', '-fno-math-errno', '-fno-trapping-math', '-Wall', '-Wextra'];
const objects = [];
const steps = KERNELS.map(([table, isa, march]) => {
  const obj = path.join(BUILD, `kernels-${isa}.o`);
  objects.push(obj);
  return [...common, ...(march ? [march] : []), `-DRNNLAB_KERNELS=${table}`, `-DRNNLAB_ISA="${isa}"`, '-c', path.join(ROOT, 'src/cc/kernels.cc'), '-o', obj];
});
steps.push([
  ...common, '-shared', '-fvisibility=hidden', '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=rnnlab_native', `-I${headers}`, ...blasFlags,
  ...SOURCES, ...objects, '-o', tmp, '-lopenblas',
]);
const started = Date.now();
for (const args of steps) {
  console.log(`@rnnlab/native: ${cxx} ${args.join(' ')}`);
  const compiled = run(cxx, args);
  if (compiled.output) console.log(compiled.output);
  if (!compiled.ok) {
    fs.rmSync(tmp, { force: true });
    skip(`the compile failed: ${compiled.output.split('\n').find((l) => /error/.test(l)) ?? 'see the install log'}`);
  }
}
for (const obj of objects) fs.rmSync(obj, { force: true });
fs.renameSync(tmp, TARGET);
let compiler = cxx;
try {
  compiler = execFileSync(cxx, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? cxx;
} catch {
  // keep the name
}
record({ built: true, reason: null, compiler, seconds: (Date.now() - started) / 1000 });
console.log(`@rnnlab/native: built ${path.relative(process.cwd(), TARGET)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
