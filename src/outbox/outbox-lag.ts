/** How far one outbox topic is behind: what /metrics reports per topic. */
export interface TopicLag {
  /** Age of the topic's oldest unsent row; 0 when nothing is waiting. */
  oldestAgeSeconds: number;
  unsentCount: number;
}

export interface UnsentRowsOfTopic {
  topic: string;
  unsentCount: number;
  oldestAgeSeconds: number;
}

/**
 * The lag of every topic a relay drains and of every topic with unsent rows (one nobody drains shows up too): the
 * database reports only topics with rows waiting, so the others are filled in as zero.
 */
export function lagByTopic(knownTopics: Iterable<string>, unsent: readonly UnsentRowsOfTopic[]): Map<string, TopicLag> {
  const lag = new Map<string, TopicLag>();
  for (const topic of knownTopics) lag.set(topic, { oldestAgeSeconds: 0, unsentCount: 0 });
  for (const row of unsent) {
    if (!Number.isSafeInteger(row.unsentCount) || row.unsentCount < 0)
      throw new RangeError(`unsent count of ${row.topic} must be a non-negative integer`);
    // now() is the scrape's transaction start: a row whose transaction began a moment later but committed before
    // the scrape's snapshot would otherwise read as slightly negative.
    lag.set(row.topic, { oldestAgeSeconds: Math.max(0, row.oldestAgeSeconds), unsentCount: row.unsentCount });
  }
  return lag;
}
