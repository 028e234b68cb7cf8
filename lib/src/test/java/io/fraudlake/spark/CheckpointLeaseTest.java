package io.fraudlake.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lease on a checkpoint folder, on the local file system through Hadoop's API, as jobs take it. */
class CheckpointLeaseTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Runnable NOTHING = () -> { };

  @TempDir Path home;

  private Path checkpoint() {
    return home.resolve("checkpoints").resolve("run");
  }

  private Path leaseFile() {
    return home.resolve("checkpoints").resolve("run.lease");
  }

  private static FileSystem fs() throws IOException {
    return FileSystem.getLocal(new Configuration());
  }

  private CheckpointLease acquire(Duration timeout, Runnable onLost) throws IOException {
    return CheckpointLease.acquire(fs(), new org.apache.hadoop.fs.Path(checkpoint().toUri()), "checkpoint", "run", timeout, onLost);
  }

  private void writeLease(LeaseRecord record) throws IOException {
    Files.createDirectories(leaseFile().getParent());
    Files.writeString(leaseFile(), record.text());
  }

  /** The lease as the holder last wrote it (read again if caught while the holder rewrites it). */
  private LeaseRecord leaseOnDisk() throws Exception {
    for (int attempt = 0; attempt < 20; attempt++) {
      java.util.Optional<LeaseRecord> record = LeaseRecord.parse(Files.readString(leaseFile()));
      if (record.isPresent()) {
        return record.get();
      }
      Thread.sleep(10);
    }
    throw new AssertionError("unreadable lease: " + Files.readString(leaseFile()));
  }

  @Test
  void aSecondClaimIsRefusedWithOneLineNamingTheHolderUntilTheFirstIsReleased() throws Exception {
    long pid = ProcessHandle.current().pid();
    try (CheckpointLease first = acquire(TIMEOUT, NOTHING)) {
      assertEquals(pid, leaseOnDisk().pid());
      assertEquals(LeaseRecord.localHost(), leaseOnDisk().host());

      FraudLakeException refused = assertThrows(FraudLakeException.class, () -> acquire(TIMEOUT, NOTHING));
      assertTrue(refused.getMessage().matches("checkpoint " + java.util.regex.Pattern.quote(checkpoint().toString())
              + " is in use by run with pid " + pid + " on host " + java.util.regex.Pattern.quote(LeaseRecord.localHost())
              + " since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(lease renewed \\d+ s ago\\); stop that job first"),
          refused.getMessage());
    }
    assertFalse(Files.exists(leaseFile()), "released");
    try (CheckpointLease again = acquire(TIMEOUT, NOTHING)) {
      assertTrue(Files.exists(leaseFile()));
    }
    assertFalse(Files.exists(leaseFile()));
  }

  @Test
  void theLeaseOfAnExistingCheckpointLiesBesideItNotInIt() throws Exception {
    Files.createDirectories(checkpoint());
    // A local folder that exists has a URI ending in "/".
    assertTrue(checkpoint().toUri().toString().endsWith("/"));
    try (CheckpointLease held = acquire(TIMEOUT, NOTHING)) {
      assertEquals(ProcessHandle.current().pid(), leaseOnDisk().pid());
      assertFalse(Files.exists(checkpoint().resolve(".lease")));
    }
  }

  @Test
  void theHolderRenewsItsLeaseSoItIsNotTakenOverWhileItRuns() throws Exception {
    Duration timeout = Duration.ofMillis(600);
    try (CheckpointLease held = acquire(timeout, NOTHING)) {
      Instant first = leaseOnDisk().renewed();
      Thread.sleep(1_500);
      assertTrue(leaseOnDisk().renewed().isAfter(first.plusMillis(800)), "renewed every sixth of the timeout");
      // Past the timeout since it was taken, but renewed since: still held.
      assertThrows(FraudLakeException.class, () -> acquire(timeout, NOTHING));
      assertTrue(held.lostReason().isEmpty());
    }
  }

  @Test
  void aLeaseFromAnotherHostIsTakenOverOnlyOnceItsRenewalIsOlderThanTheTimeout() throws Exception {
    Instant now = Instant.now();
    writeLease(new LeaseRecord("score", 4242, "elsewhere.invalid", null, now.minusSeconds(3600), now.minusSeconds(10), "theirs"));
    FraudLakeException refused = assertThrows(FraudLakeException.class, () -> acquire(TIMEOUT, NOTHING));
    assertTrue(refused.getMessage().contains("is in use by score with pid 4242 on host elsewhere.invalid since "), refused.getMessage());
    assertTrue(refused.getMessage().contains("(lease renewed 10 s ago)"), refused.getMessage());

    writeLease(new LeaseRecord("score", 4242, "elsewhere.invalid", null, now.minusSeconds(3600), now.minusSeconds(31), "theirs"));
    try (CheckpointLease taken = acquire(TIMEOUT, NOTHING)) {
      assertEquals(ProcessHandle.current().pid(), leaseOnDisk().pid());
    }
    assertFalse(Files.exists(leaseFile()));
    assertFalse(Files.exists(leaseFile().resolveSibling("run.lease.takeover")));
  }

  @Test
  void theLeaseOfAKilledProcessOnThisHostIsTakenOverAtOnce() throws Exception {
    Process holder = new ProcessBuilder("sleep", "60").start();
    try {
      ProcessHandle handle = holder.toHandle();
      Instant now = Instant.now();
      writeLease(new LeaseRecord("bronze", handle.pid(), LeaseRecord.localHost(), handle.info().startInstant().orElse(null),
          now, now, "theirs"));
      Duration hour = Duration.ofHours(1);
      FraudLakeException refused = assertThrows(FraudLakeException.class, () -> acquire(hour, NOTHING));
      assertTrue(refused.getMessage().contains("in use by bronze with pid " + handle.pid()), refused.getMessage());

      holder.destroyForcibly();
      assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
      // Its lease was renewed a moment ago and the timeout is an hour: only the ended process lets it go.
      try (CheckpointLease taken = acquire(hour, NOTHING)) {
        assertEquals(ProcessHandle.current().pid(), leaseOnDisk().pid());
      }
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void aHolderWhoseLeaseWasTakenStopsItsJobAndLeavesTheOtherLeaseAlone() throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    CheckpointLease held = acquire(Duration.ofMillis(600), stopped::countDown);
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    LeaseRecord taker = new LeaseRecord("run", 4242, "elsewhere.invalid", null, now, now, "theirs");
    // As a process on another host does once this one has been paused past the timeout.
    writeLease(taker);

    assertTrue(stopped.await(5, TimeUnit.SECONDS), "the job is told to stop");
    assertTrue(held.lostReason().orElseThrow().startsWith("checkpoint " + checkpoint() + ": it is held by run with pid 4242 on host "
        + "elsewhere.invalid"), held.lostReason().orElseThrow());
    held.close();
    assertEquals("theirs", leaseOnDisk().token(), "the new holder's lease stays");
  }

  @Test
  void ofStartersRacingForAFreeOrAStaleLeaseExactlyOneWins() throws Exception {
    assertEquals(1, race(), "free lease");
    Instant old = Instant.now().minusSeconds(3600);
    writeLease(new LeaseRecord("run", 4242, "elsewhere.invalid", null, old, old, "theirs"));
    assertEquals(1, race(), "stale lease");
  }

  /** Eight threads claim the lease at once (the claims of one process, as two processes' would); returns how many got it. */
  private int race() throws Exception {
    int starters = 8;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(starters);
    List<Future<CheckpointLease>> claims = new ArrayList<>();
    try {
      for (int i = 0; i < starters; i++) {
        claims.add(pool.submit(() -> {
          go.await();
          try {
            return acquire(TIMEOUT, NOTHING);
          } catch (FraudLakeException refused) {
            return null;
          }
        }));
      }
      go.countDown();
      List<CheckpointLease> won = new ArrayList<>();
      for (Future<CheckpointLease> claim : claims) {
        CheckpointLease lease = claim.get(30, TimeUnit.SECONDS);
        if (lease != null) {
          won.add(lease);
        }
      }
      won.forEach(CheckpointLease::close);
      return won.size();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLeaseFileCutShortOrMixedFromTwoWritersDoesNotParse() {
    Instant now = Instant.now();
    String text = new LeaseRecord("run", 1, "h", null, now, now, "a").text();
    assertEquals("a", LeaseRecord.parse(text).orElseThrow().token());
    assertTrue(LeaseRecord.parse(text.substring(0, text.length() - 3)).isEmpty());
    assertTrue(LeaseRecord.parse(text + "token=b\n").isEmpty());
    assertTrue(LeaseRecord.parse(text + "5Z\n").isEmpty());
  }
}
