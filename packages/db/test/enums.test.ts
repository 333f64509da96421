// The database enums are written in prisma/schema.prisma (SQL cannot import a TypeScript list); the
// contracts' lists are the source every other layer imports. These must agree, in order.
import { JOB_STATUSES, STUDY_STATES } from '@rnnlab/contracts';
import { describe, expect, it } from 'vitest';
import { JobStatus, StudyState } from '../src/generated/client.ts';

describe('database enums', () => {
  it('are the contracts’ job statuses and study states', () => {
    expect(Object.values(JobStatus)).toEqual([...JOB_STATUSES]);
    expect(Object.values(StudyState)).toEqual([...STUDY_STATES]);
  });
});
