// What a command run did, for bin/ktimer's code cache: a cache written after a run that reached
// Redis holds the compiled code of the client too, so it is preferred (see bin/ktimer).
export const runStats = { usedRedis: false };
