import { Type, type Static } from 'typebox';
import { Count, Id, IsoDate, Label, Nullable, PAGE_SIZES, Strict, Text, listOf, pageQuery } from './common.ts';

/** A corpus as sent: the same rule for a JSON `text` and a text/plain body. */
export const DatasetText = Text({ minLength: 1, description: 'the corpus, UTF-8; stored exactly as sent (see docs/api.md on control characters)' });
const DatasetName = Label({ minLength: 1, maxLength: 100 });
export const DatasetUploadJson = Strict({ name: DatasetName, text: DatasetText });
export const DatasetUploadQuery = Strict({ name: Type.Optional(DatasetName) });

export const DatasetSchema = Type.Object({
  id: Id,
  name: Type.String(),
  builtin: Type.Boolean(),
  chars: Nullable(Count({ description: 'Unicode code points' })),
  sha256: Nullable(Type.String()),
  createdAt: Nullable(IsoDate),
});
export type Dataset = Static<typeof DatasetSchema>;
/** Built-ins first, then uploads newest first. */
export const DatasetListQuery = Strict(pageQuery(PAGE_SIZES.datasets));
export const DatasetList = listOf(DatasetSchema);
