// The contracts describe what the core trains. They are kept separate (the contracts load in a
// browser, the core loads TensorFlow.js), so this file pins them together: the same defaults for
// every architecture and the same config type, or the build fails.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defaultRunConfig, type RunConfig as CoreRunConfig } from '@rnnlab/core';
import { ARCHS, d2lDefaults, type RunConfig } from '../src/index.ts';

describe('contracts and core agree', () => {
  it.each(ARCHS)('d2l defaults for %s are the core\'s defaults', (arch) => {
    expect(d2lDefaults(arch)).toEqual(defaultRunConfig(arch));
  });

  it('the resolved config type is the core\'s RunConfig', () => {
    expectTypeOf<RunConfig>().toEqualTypeOf<CoreRunConfig>();
  });
});
