import { cmd, given, T0 } from '../testing/custody-spec';
import { placeStreamModule, placeView } from '.';

const room = { placeId: 'room-1', name: 'reading room', kind: 'reading-room' } as const;
const registered = { streamId: 'place-room-1', event: { type: 'PlaceRegistered', data: { ...room, at: T0 } } };

describe('no place room-1', () => {
  it('registers the reading room', () =>
    given()
      .when(cmd('RegisterPlace', room))
      .then([{ streamId: 'place-room-1', events: [{ type: 'PlaceRegistered', data: { ...room, at: T0 } }] }]));

  it('refuses a kind outside the vocabulary as an input error', () =>
    given()
      .when(cmd('RegisterPlace', { ...room, kind: 'garden' as never }))
      .thenThrows('INVALID_COMMAND'));
});

describe('room-1 registered', () => {
  it('refuses a second registration with PLACE_EXISTS', () =>
    given(registered)
      .when(cmd('RegisterPlace', { ...room, kind: 'home' }))
      .thenThrows('PLACE_EXISTS'));

  it('shows the place in its view', () => {
    const state = placeStreamModule.evolve(placeStreamModule.initialState(), registered.event);
    expect(placeView(state)).toEqual(room);
  });
});

describe('the place view of an unregistered place', () => {
  it('is null', () => expect(placeView(placeStreamModule.initialState())).toBeNull());
});
