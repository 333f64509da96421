// GET /v1/jobs/{id}/export: a checkpoint of the job written in another format (@rnnlab/export).
import type { ExportFormat } from '@rnnlab/contracts';
import type { ExportedFile } from '@rnnlab/export';
import { invalidField } from '../errors.ts';
import type { JobDataService } from './job-data.ts';

export class ExportService {
  constructor(private readonly jobData: JobDataService) {}

  async export(id: string, format: ExportFormat, which: 'latest' | 'best' | number): Promise<ExportedFile & { epoch: number }> {
    const ckpt = await this.jobData.requireCheckpoint(id, which);
    const bytes = await this.jobData.checkpointBytes(ckpt.id);
    // Loaded on the first export: TensorFlow.js and the ONNX schema would slow every API start.
    const { exportCheckpoint, UnsupportedExportError } = await import('@rnnlab/export');
    try {
      return { ...(await exportCheckpoint(bytes, format, `${id}-epoch${ckpt.epoch}`)), epoch: ckpt.epoch };
    } catch (err) {
      if (err instanceof UnsupportedExportError) throw invalidField('querystring/format', `: ${err.message}`, 422);
      throw err;
    }
  }
}
