/** Event store and replay: see store.ts (backends), subscriber.ts (feeding it), outbox-store.ts (the outbox as the store) and replay.ts (the design). */
export { matches, type EventFilter, type EventStore, type StoredEvent } from './store.js';
export { createFileEventStore } from './file-store.js';
export { createOutboxEventStore, openOutboxEventStore } from './outbox-store.js';
export { createPostgresEventStore, type PostgresEventStoreOptions } from './postgres-store.js';
export { startEventStoreSubscriber, toStoredEvent, type EventStoreSubscriber } from './subscriber.js';
export { REPLAY_HEADER, replayAddress, replayableAddresses, replayEvents, type ReplayOptions, type ReplayResult } from './replay.js';
