import { Type, type Static } from 'typebox';
import { IsoDate, Nullable, PAGE_SIZES, Strict, listOf, pageQuery } from './common.ts';

export const DatasetUploadJson = Strict({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  text: Type.String({ minLength: 1 }),
});
export const DatasetUploadQuery = Strict({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) });

export const DatasetSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  builtin: Type.Boolean(),
  chars: Nullable(Type.Integer()),
  sha256: Nullable(Type.String()),
  createdAt: Nullable(IsoDate),
});
export type Dataset = Static<typeof DatasetSchema>;
/** Built-ins first, then uploads newest first. */
export const DatasetListQuery = Strict(pageQuery(PAGE_SIZES.datasets));
export const DatasetList = listOf(DatasetSchema);
