/** Log lines are split below the server's 64 KB per-line limit (bytes of UTF-8). */
export const MAX_LINE_BYTES = 16 * 1024;

/**
 * Turns a child's output bytes into lines as a terminal would show them: invalid UTF-8 and NUL
 * become U+FFFD (also when a character's bytes are split across chunks), `\n` and `\r\n` end a
 * line, and a lone `\r` moves back to the start of the line so the text after it overwrites
 * (a progress bar rewritten by `\r` is one line holding its final state). A line longer than
 * MAX_LINE_BYTES ends there: the rest continues on the next line (a later `\r` then overwrites
 * only that rest).
 */
export class TerminalLines {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private text = '';
  private cursor = 0;
  private pendingCarriageReturn = false;

  /** `onLine(line)` gets each finished line, without its line end. */
  constructor(private readonly onLine: (line: string) => void) {}

  /** Feeds one chunk of output. */
  write(chunk: Uint8Array): void {
    this.consume(this.decoder.decode(chunk, { stream: true }));
  }

  /** Ends the output: a last line without a line end is finished too. */
  end(): void {
    this.consume(this.decoder.decode());
    if (this.pendingCarriageReturn) this.carriageReturn();
    if (this.text.length > 0) this.finishLine();
  }

  private consume(decoded: string): void {
    let text = decoded.replaceAll('\u0000', '\uFFFD');
    if (this.pendingCarriageReturn) {
      this.pendingCarriageReturn = false;
      if (text.startsWith('\n')) {
        this.finishLine();
        text = text.slice(1);
      } else if (text.length > 0) this.carriageReturn();
      else this.pendingCarriageReturn = true;
    }
    let start = 0;
    for (let index = 0; index < text.length; index++) {
      const char = text[index];
      if (char !== '\n' && char !== '\r') continue;
      this.put(text.slice(start, index));
      start = index + 1;
      if (char === '\n') this.finishLine();
      else if (index + 1 === text.length)
        this.pendingCarriageReturn = true; // a `\r\n` may be split across chunks
      else if (text[index + 1] === '\n') {
        this.finishLine();
        start = ++index + 1;
      } else this.carriageReturn();
    }
    this.put(text.slice(start));
  }

  private carriageReturn(): void {
    this.cursor = 0;
  }

  private put(part: string): void {
    if (part.length === 0) return;
    this.text =
      this.cursor === this.text.length
        ? this.text + part
        : this.text.slice(0, this.cursor) + part + this.text.slice(this.cursor + part.length);
    this.cursor += part.length;
    // A line with no end in sight is cut, so memory stays bounded (UTF-8 is at most 3 bytes a UTF-16 unit).
    while (this.text.length * 3 > MAX_LINE_BYTES * 4) {
      const [head] = splitUtf8(this.text, MAX_LINE_BYTES);
      this.onLine(head!);
      this.text = this.text.slice(head!.length);
      this.cursor = Math.max(0, this.cursor - head!.length);
    }
  }

  private finishLine(): void {
    for (const piece of splitUtf8(this.text, MAX_LINE_BYTES)) this.onLine(piece);
    this.text = '';
    this.cursor = 0;
  }
}

/**
 * `text` cut into pieces of at most `maxBytes` UTF-8 bytes each, on character boundaries (a
 * surrogate pair stays whole). An empty text is one empty piece.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (text.length * 3 <= maxBytes) return [text];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let index = 0; index < text.length;) {
    const code = text.codePointAt(index)!;
    const units = code > 0xffff ? 2 : 1;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code > 0xffff ? 4 : 3;
    if (bytes + size > maxBytes) {
      pieces.push(text.slice(start, index));
      start = index;
      bytes = 0;
    }
    bytes += size;
    index += units;
  }
  pieces.push(text.slice(start));
  return pieces;
}
