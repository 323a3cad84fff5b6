/**
 * Given / when / then for deciders (in the spirit of Emmett's DeciderSpecification, written here):
 *
 *   spec.given([...history]).when(command).then(expectedEvents)
 *   spec.given([...history]).when(command).thenThrows('APPROVER_NOT_AUTHORIZED')
 *
 * `history` is folded with `evolve` into the state `decide` sees; nothing touches a store or a clock.
 */
/**
 * The test framework's `expect` (jest, vitest: both provide it as a global). Declared here, not imported, so the
 * helper works under either and the package needs no test framework of its own.
 */
declare const expect: (actual: unknown) => { toEqual(expected: unknown): void; toBe(expected: unknown): void };

export interface DeciderUnderTest<C, S, H, R> {
  /** Folds the given history into the state the decider sees. */
  fold(history: H[]): S;
  decide(command: C, state: S): R;
}

export interface ThenStep<R> {
  then(expected: R | ((result: R) => void)): void;
  thenThrows(code: string): void;
}

export const deciderSpec = <C, S, H, R>(decider: DeciderUnderTest<C, S, H, R>) => ({
  given: (history: H[]) => ({
    when: (command: C): ThenStep<R> => {
      const run = () => decider.decide(command, decider.fold(history));
      return {
        then(expected) {
          const result = run();
          if (typeof expected === 'function') (expected as (r: R) => void)(result);
          else expect(result).toEqual(expected);
        },
        thenThrows(code) {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          if (thrown === undefined)
            throw new Error(`expected the command to be refused with ${code}, but it was accepted`);
          expect((thrown as { code?: string }).code).toBe(code);
        },
      };
    },
  }),
});
