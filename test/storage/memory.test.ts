/** The benchmark's in-memory sink holds to the storage contract, so the monitor behaves as over a real back end. */
import { MemoryStore } from "../support/memoryStore.ts";
import { describeStoreConformance } from "./conformance.ts";

describeStoreConformance("MemoryStore", async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
