/**
 * The C2SP tlog-witness `add-checkpoint` request body (https://c2sp.org/tlog-witness): `old <size>\n`, up to 63
 * consistency proof lines (base64 hashes), a blank line, then the checkpoint note.
 */
import { NoteFormatError } from '../note/signed-note';
import { base64ToHex, hexToBase64, parseDecimal } from '../note/tlog-checkpoint';

/** The most consistency proof lines a client may send (tlog-witness). */
export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  oldSize: number;
  /** RFC 9162 consistency proof from oldSize to the checkpoint's size, hex. */
  proof: string[];
  /** The checkpoint note with its signatures. */
  checkpoint: string;
}

/** The request body for `POST /add-checkpoint`. */
export const formatAddCheckpoint = (r: AddCheckpointRequest): string =>
  `old ${r.oldSize}\n${r.proof.map((h) => `${hexToBase64(h)}\n`).join('')}\n${r.checkpoint}`;

/** Parses a request body; throws NoteFormatError (a 400) when it is malformed. */
export const parseAddCheckpoint = (body: string): AddCheckpointRequest => {
  const first = body.indexOf('\n');
  if (first < 0 || !body.startsWith('old ')) throw new NoteFormatError('the body starts with an "old <size>" line');
  const oldSize = parseDecimal(body.slice(4, first), 'the old size');
  const proof: string[] = [];
  let at = first + 1;
  for (;;) {
    const end = body.indexOf('\n', at);
    if (end < 0) throw new NoteFormatError('the proof lines end with a blank line before the checkpoint');
    const line = body.slice(at, end);
    at = end + 1;
    if (line === '') break;
    if (proof.length >= MAX_PROOF_LINES) throw new NoteFormatError(`more than ${MAX_PROOF_LINES} proof lines`);
    proof.push(base64ToHex(line, 'a consistency proof line'));
  }
  return { oldSize, proof, checkpoint: body.slice(at) };
};
