// Running bench/torch_reference.py: find a Python that imports torch, hand it a request file, read
// its one JSON line. The script installs nothing; without PyTorch the bench says what to install.
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { buildNetworkSpec, type RunConfig } from '@rnnlab/core';

export const TORCH_SCRIPT = path.resolve(import.meta.dirname, '../torch_reference.py');
export const TORCH_NEEDS = 'apt-get install python3-torch libopenblas0-pthread (Debian 12: PyTorch 1.13 over OpenBLAS)';

/** The first of $TORCH_PYTHON, Debian's /usr/bin/python3 and python3 that imports torch, with its version. */
export function findTorchPython(): { python: string; version: string } | null {
  const candidates = [process.env.TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));
  for (const python of candidates) {
    try {
      const version = execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 }).trim();
      return { python, version };
    } catch {
      // next candidate
    }
  }
  return null;
}

/** The model part of a request: what d2l's RNNModel needs to be built like rnnlab's. */
export function torchConfig(config: RunConfig, vocab: number): Record<string, unknown> {
  const spec = buildNetworkSpec(config, vocab);
  return {
    cell: config.model.cell,
    hidden: spec.hidden,
    numLayers: spec.numLayers,
    directions: spec.directions,
    vocab,
    lr: config.training.learningRate,
    clip: config.training.gradClipNorm,
    batch: config.training.batchSize,
    steps: config.training.numSteps,
  };
}

/**
 * Runs the script (`check` or `time`) on a request file. `threads.openblas` becomes OPENBLAS_NUM_THREADS
 * (it must be set before torch loads OpenBLAS); torch's intra-op threads stay 1, as in the issue.
 */
export function torchRun(python: string, mode: 'check' | 'time', request: string, threads: { openblas?: number }): Promise<Record<string, unknown>> {
  const env = { ...process.env, TORCH_THREADS: '1', ...(threads.openblas ? { OPENBLAS_NUM_THREADS: String(threads.openblas) } : {}) };
  return new Promise((resolve, reject) => {
    execFile(python, [TORCH_SCRIPT, mode, request], { env, maxBuffer: 16 << 20, timeout: 30 * 60_000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let out: Record<string, unknown> | null = null;
      try {
        out = JSON.parse(line) as Record<string, unknown>;
      } catch {
        // not JSON: report below
      }
      if (out?.error) return reject(new Error(`torch_reference.py: ${String(out.error)}`));
      if (err || !out) return reject(new Error(`torch_reference.py ${mode} failed: ${err?.message ?? 'no output'}\n${stderr.slice(-2000)}`));
      resolve(out);
    });
  });
}
