/**
 * Requests run in batches, for group commit: a request that finds a free turn runs at once, alone;
 * requests that arrive while every turn is taken wait and run next, together (at most `maxBatch`).
 * `runBatch` answers each request, in order, with its result or its own Error; if it throws, the
 * whole batch failed and every request in it is rejected with that error.
 */
interface BatcherOptions<Request, Result> {
  maxInFlight: number;
  maxBatch: number;
  runBatch(requests: Request[]): Promise<(Result | Error)[]>;
}

export class Batcher<Request, Result> {
  readonly #options: BatcherOptions<Request, Result>;
  readonly #waiting: { request: Request; resolve(result: Result): void; reject(error: unknown): void }[] = [];
  #inFlight = 0;

  constructor(options: BatcherOptions<Request, Result>) {
    this.#options = options;
  }

  submit(request: Request): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      this.#startBatches();
    });
  }

  #startBatches(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#options.maxBatch);
      this.#inFlight += 1;
      // The next batch goes out before this one's requests are answered: their continuations (the
      // rest of each operation, its response) would otherwise hold it back for a millisecond or two.
      const next = () => {
        this.#inFlight -= 1;
        this.#startBatches();
      };
      void this.#options.runBatch(batch.map((waiting) => waiting.request)).then(
        (answers) => {
          next();
          batch.forEach((waiting, index) => {
            const answer = answers[index]!;
            if (answer instanceof Error) waiting.reject(answer);
            else waiting.resolve(answer);
          });
        },
        (error: unknown) => {
          next();
          batch.forEach((waiting) => waiting.reject(error));
        },
      );
    }
  }
}
