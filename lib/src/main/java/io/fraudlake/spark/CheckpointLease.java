package io.fraudlake.spark;

import io.fraudlake.FraudLakeException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exclusive claim on a folder one job writes, a stream's checkpoint above all, held for as long as
 * the job runs: Spark does not support two queries on one checkpoint, so a second process that wants
 * the folder fails at start with one line naming the holder. The claim is a file beside the folder,
 * {@code <folder>.lease} (so resetting the checkpoint leaves it alone), holding a {@link LeaseRecord},
 * written through Hadoop's {@link FileSystem} so a checkpoint on HDFS, DBFS or an object store is
 * claimed as a local one is.
 *
 * <ul>
 *   <li><b>Claiming</b> creates the file only if it does not exist (the one atomic step; on the local
 *   file system with the operating system's exclusive create, as Hadoop's checks and then creates),
 *   then reads it back: the claim holds only if the file says what this process wrote, which also
 *   catches a store whose create-if-absent is not atomic.
 *   <li><b>Renewing</b>: a daemon thread rewrites the file's renewal time every sixth of the timeout,
 *   after checking that the file still holds this claim. If it does not (the process was paused past
 *   the timeout and another took over), the lease is lost: logged as an error, {@code onLost} runs
 *   (the job stops its streams) and {@link #lostReason()} says why.
 *   <li><b>Taking over</b> a lease left behind: at once when its holder was a process of this host
 *   that has ended, otherwise once its renewal is older than the timeout (clocks of the hosts sharing
 *   a lakehouse are assumed to agree to well within it). The taker first creates
 *   {@code <folder>.lease.takeover} exclusively, so of two starters that both find the lease stale only
 *   one replaces it; under that, it replaces the file only if it still reads exactly as when judged
 *   stale (a holder that renewed meanwhile keeps it).
 *   <li><b>Releasing</b> ({@link #close()}) deletes the file if it still holds this claim.
 * </ul>
 */
public final class CheckpointLease implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointLease.class);
  private static final int CLAIM_ATTEMPTS = 3;
  // A lease file read while its holder rewrites it may be cut short; it is read again before it counts as unreadable.
  private static final int READ_ATTEMPTS = 5;
  private static final long READ_RETRY_MILLIS = 50;

  private final FileSystem fs;
  private final Path folder;
  /** The folder as messages name it: a local one by its plain path. */
  private final String shown;
  private final Path file;
  private final Path takeoverFile;
  private final String what;
  private final Duration timeout;
  private final Runnable onLost;
  private ScheduledExecutorService heartbeat;
  private volatile LeaseRecord mine;
  private volatile String lostReason;
  private boolean released;

  private CheckpointLease(FileSystem fs, Path folder, String what, Duration timeout, Runnable onLost) {
    this.fs = fs;
    this.folder = folder;
    this.shown = shown(folder);
    this.file = new Path(folder.getParent(), folder.getName() + ".lease");
    this.takeoverFile = new Path(folder.getParent(), folder.getName() + ".lease.takeover");
    this.what = what;
    this.timeout = timeout;
    this.onLost = onLost;
  }

  /**
   * Claims {@code folder} for {@code job} (named to whoever finds it taken), or fails with one line
   * naming the holder. {@code what} names the folder in messages ("checkpoint"); {@code onLost} runs
   * on the renewing thread if the lease is lost while held.
   */
  public static CheckpointLease acquire(FileSystem fs, Path folder, String what, String job, Duration timeout, Runnable onLost) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new FraudLakeException("the lease timeout must be positive, got " + timeout);
    }
    // Hadoop's checksummed local file system would add a .crc file beside each lease: the raw one writes none.
    FileSystem plain = fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    CheckpointLease lease = new CheckpointLease(plain, withoutTrailingSlash(folder), what, timeout, onLost);
    try {
      lease.claim(job);
    } catch (IOException e) {
      throw new FraudLakeException("cannot claim " + what + " " + lease.shown + " (lease " + shown(lease.file) + "): " + e.getMessage(), e);
    }
    lease.startHeartbeat();
    return lease;
  }

  /** The folder named without a final "/" (as a local folder that exists has in its URI), so its lease lies beside it. */
  private static Path withoutTrailingSlash(Path folder) {
    java.net.URI uri = folder.toUri();
    String path = uri.getPath();
    return path.length() > 1 && path.endsWith("/")
        ? new Path(uri.getScheme(), uri.getAuthority(), path.substring(0, path.length() - 1))
        : folder;
  }

  public Path file() {
    return file;
  }

  /** Which lease was lost while held and why, if one was: "checkpoint /x/checkpoints/run: it is held by ...". */
  public Optional<String> lostReason() {
    return Optional.ofNullable(lostReason).map(reason -> what + " " + shown + ": " + reason);
  }

  private void claim(String job) throws IOException {
    for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      LeaseRecord candidate = LeaseRecord.ofThisProcess(job, Instant.now());
      if (createExclusive(file, candidate)) {
        if (reads(file, candidate)) {
          mine = candidate;
          return;
        }
        continue;
      }
      Holder current = readHolder(file);
      if (current == null) {
        continue;
      }
      Instant now = Instant.now();
      Optional<String> stale = staleness(current, now);
      if (stale.isEmpty()) {
        throw new FraudLakeException(current.inUse(what, shown, shown(file), now) + "; stop that job first");
      }
      if (takeOver(current, candidate, stale.get())) {
        mine = candidate;
        return;
      }
    }
    throw new FraudLakeException(what + " " + shown + ": other processes are claiming its lease at the same moment; try again");
  }

  /** Replaces the stale lease {@code stale} with {@code candidate}, unless another process is doing so or got there first. */
  private boolean takeOver(Holder stale, LeaseRecord candidate, String reason) throws IOException {
    if (!createExclusive(takeoverFile, candidate)) {
      Holder taker = readHolder(takeoverFile);
      if (taker == null) {
        return false;
      }
      Instant now = Instant.now();
      if (staleness(taker, now).isEmpty()) {
        throw new FraudLakeException(what + " " + shown + " is being taken over by "
            + taker.record().map(r -> r.describe(now)).orElse("another process") + "; stop that job first");
      }
      // A take-over whose process died half-way: clear it, then look at the lease again.
      deleteIfReads(takeoverFile, taker.text());
      return false;
    }
    try {
      Holder again = readHolder(file);
      if (again != null && !again.text().equals(stale.text())) {
        return false;
      }
      if (again != null) {
        fs.delete(file, false);
      }
      if (!createExclusive(file, candidate) || !reads(file, candidate)) {
        return false;
      }
      LOG.warn("took over the lease on {} {} from {}: {}", what, shown,
          stale.record().map(r -> r.describe(Instant.now())).orElse("an unreadable lease file"), reason);
      return true;
    } finally {
      deleteIfReads(takeoverFile, candidate.text());
    }
  }

  /** Why the holder no longer holds its lease, or empty while it does. */
  private Optional<String> staleness(Holder holder, Instant now) {
    if (holder.record().isEmpty()) {
      Duration age = Duration.between(holder.written(), now);
      return age.compareTo(timeout) > 0
          ? Optional.of("its lease file cannot be read and was written " + age.toSeconds() + " s ago")
          : Optional.empty();
    }
    LeaseRecord record = holder.record().get();
    if (record.holderEndedOnThisHost()) {
      return Optional.of("its process (pid " + record.pid() + " on this host) is no longer running");
    }
    if (record.sinceRenewal(now).compareTo(timeout) > 0) {
      return Optional.of("its last renewal is older than the lease timeout (" + timeout.toSeconds() + " s)");
    }
    return Optional.empty();
  }

  private void startHeartbeat() {
    long every = Math.max(1, timeout.toMillis() / 6);
    heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fraudlake-lease-" + folder.getName());
      t.setDaemon(true);
      return t;
    });
    heartbeat.scheduleWithFixedDelay(this::renewOrStop, every, every, TimeUnit.MILLISECONDS);
  }

  private void renewOrStop() {
    if (renew()) {
      return;
    }
    heartbeat.shutdown();
    LOG.error("lost the lease on {} {}: {}; stopping the job so that two processes do not write it", what, shown, lostReason);
    onLost.run();
  }

  /** Renews the lease; false when it is lost. */
  private synchronized boolean renew() {
    if (released || lostReason != null) {
      return true;
    }
    Instant now = Instant.now();
    Duration late = Duration.between(mine.renewed(), now);
    try {
      Holder current = readHolder(file);
      if (current == null || current.record().isEmpty() || !current.record().get().sameClaim(mine)) {
        lostReason = current == null ? "its lease file " + shown(file) + " was deleted"
            : current.record().map(r -> "it is held by " + r.describe(now)).orElse("its lease file " + shown(file) + " was overwritten");
        return false;
      }
      if (late.compareTo(timeout) > 0 && fs.exists(takeoverFile)) {
        lostReason = "its renewal came " + late.toSeconds() + " s late, past the lease timeout, while another process was taking it over";
        return false;
      }
      LeaseRecord renewed = mine.renewedAt(now);
      try (FSDataOutputStream out = fs.create(file, true)) {
        out.write(renewed.text().getBytes(StandardCharsets.UTF_8));
      }
      mine = renewed;
      return true;
    } catch (IOException | RuntimeException e) {
      if (late.compareTo(timeout) > 0) {
        lostReason = "it could not be renewed for " + late.toSeconds() + " s: " + e.getMessage();
        return false;
      }
      LOG.warn("could not renew the lease on {} {} (tried again in a moment): {}", what, shown, e.getMessage());
      return true;
    }
  }

  /** Releases the lease: deletes its file if it still holds this claim. */
  @Override
  public void close() {
    synchronized (this) {
      if (released) {
        return;
      }
      released = true;
    }
    if (heartbeat != null) {
      heartbeat.shutdownNow();
    }
    if (lostReason != null || mine == null) {
      return;
    }
    try {
      deleteIfReads(file, null);
    } catch (IOException e) {
      LOG.warn("could not release the lease {} ({}); the next job on this host takes it over at once, elsewhere after {} s",
          shown(file), e.getMessage(), timeout.toSeconds());
    }
  }

  /** Deletes {@code path} if it reads as {@code text}, or, with {@code text} null, if it holds this process's claim. */
  private void deleteIfReads(Path path, String text) throws IOException {
    Holder holder = readHolder(path);
    boolean ours = holder != null && (text != null
        ? holder.text().equals(text)
        : holder.record().map(r -> r.sameClaim(mine)).orElse(false));
    if (ours) {
      fs.delete(path, false);
    }
  }

  private boolean createExclusive(Path path, LeaseRecord record) throws IOException {
    byte[] bytes = record.text().getBytes(StandardCharsets.UTF_8);
    fs.mkdirs(path.getParent());
    if (fs instanceof RawLocalFileSystem local) {
      try {
        Files.write(local.pathToFile(path).toPath(), bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return true;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        return false;
      }
    }
    try (FSDataOutputStream out = fs.create(path, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  private boolean reads(Path path, LeaseRecord record) throws IOException {
    Holder holder = readHolder(path);
    return holder != null && holder.text().equals(record.text());
  }

  /** The lease file at {@code path}, or null when there is none. */
  private Holder readHolder(Path path) throws IOException {
    for (int attempt = 1; ; attempt++) {
      FileStatus status;
      String text;
      try {
        status = fs.getFileStatus(path);
        try (InputStream in = fs.open(path)) {
          text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      } catch (FileNotFoundException e) {
        return null;
      }
      Optional<LeaseRecord> record = LeaseRecord.parse(text);
      if (record.isPresent() || attempt == READ_ATTEMPTS) {
        return new Holder(text, record, Instant.ofEpochMilli(status.getModificationTime()));
      }
      try {
        Thread.sleep(READ_RETRY_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while reading " + path, e);
      }
    }
  }

  private static String shown(Path path) {
    return "file".equals(path.toUri().getScheme()) ? path.toUri().getPath() : path.toString();
  }

  /** A lease file as read: its text, the record it holds if it parses, and when it was last written. */
  private record Holder(String text, Optional<LeaseRecord> record, Instant written) {
    String inUse(String what, String folder, String file, Instant now) {
      return record
          .map(r -> what + " " + folder + " is in use by " + r.describe(now))
          .orElseGet(() -> what + " " + folder + " is in use: its lease " + file + " was written "
              + Duration.between(written, now).toSeconds() + " s ago but cannot be read (if no job uses it, delete that file)");
    }
  }
}
