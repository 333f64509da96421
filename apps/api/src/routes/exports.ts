import { Type } from 'typebox';
import { ErrorEnvelope, ExportQuery, JobIdParams } from '@rnnlab/contracts';
import { ref } from '../openapi.ts';
import type { App, Services } from '../types.ts';

const error = ref(ErrorEnvelope);

export function exportRoutes(app: App, s: Services, limit: object): void {
  app.get('/jobs/:id/export', {
    config: { rateLimit: limit },
    schema: {
      tags: ['generation'], summary: 'Download a checkpoint as ONNX, safetensors (PyTorch) or a TF.js LayersModel (docs/export.md)',
      params: JobIdParams, querystring: ExportQuery,
      response: {
        200: {
          description: 'the exported file: .onnx, .safetensors, or a .zip of the TF.js model',
          content: { 'application/octet-stream': { schema: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary' }) } },
        },
        400: error, 401: error, 404: error, 409: error, 422: error, 429: error,
      },
    },
  }, async (req, reply) => {
    const file = await s.exports.export(req.params.id, req.query.format, req.query.checkpoint ?? 'latest');
    reply.header('content-type', file.contentType).header('content-disposition', `attachment; filename="${file.filename}"`).header('x-checkpoint-epoch', String(file.epoch));
    if (file.warnings.length > 0) reply.header('x-export-warning', file.warnings.join(' | '));
    return reply.send(Buffer.from(file.body.buffer, file.body.byteOffset, file.body.byteLength));
  });
}
