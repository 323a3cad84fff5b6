export { Witness, MAX_REQUEST_BYTES } from './witness';
export type { WitnessOptions, WitnessResponse } from './witness';
export { FileWitnessState, MemoryWitnessState } from './witness-state';
export type { WitnessLogState, WitnessStateStore } from './witness-state';
export { MAX_PROOF_LINES, formatAddCheckpoint, parseAddCheckpoint } from './add-checkpoint';
export type { AddCheckpointRequest } from './add-checkpoint';
