import { expect } from 'chai';

/** Awaits `promise`, asserts it rejects with an instance of `type`, and returns that error. */
export async function expectRejection<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as E;
  }
  return expect.fail(`expected a rejection with ${type.name}`);
}
