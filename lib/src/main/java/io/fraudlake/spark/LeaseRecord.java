package io.fraudlake.spark;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * What a lease file says: which job holds it, in which process (pid, host, the process's own start
 * time), since when, when it was last renewed, and a token no other claim shares. Written as
 * {@code key=value} lines; a file that does not hold each key exactly once (cut short while being
 * written, or two writers' bytes mixed) does not parse.
 */
record LeaseRecord(String job, long pid, String host, Instant processStart, Instant since, Instant renewed, String token) {
  private static final List<String> KEYS = List.of("job", "pid", "host", "process-start", "since", "renewed", "token");
  private static final String LOCAL_HOST = localHostName();

  /** A new claim by this process. */
  static LeaseRecord ofThisProcess(String job, Instant now) {
    ProcessHandle self = ProcessHandle.current();
    return new LeaseRecord(job, self.pid(), LOCAL_HOST, self.info().startInstant().orElse(null),
        now.truncatedTo(ChronoUnit.SECONDS), now, UUID.randomUUID().toString());
  }

  static String localHost() {
    return LOCAL_HOST;
  }

  LeaseRecord renewedAt(Instant now) {
    return new LeaseRecord(job, pid, host, processStart, since, now, token);
  }

  boolean sameClaim(LeaseRecord other) {
    return token.equals(other.token);
  }

  String text() {
    return "job=" + job + "\n"
        + "pid=" + pid + "\n"
        + "host=" + host + "\n"
        + "process-start=" + (processStart == null ? "" : processStart) + "\n"
        + "since=" + since + "\n"
        + "renewed=" + renewed + "\n"
        + "token=" + token + "\n";
  }

  static Optional<LeaseRecord> parse(String text) {
    if (!text.endsWith("\n")) {
      return Optional.empty();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq < 0 || !KEYS.contains(line.substring(0, eq)) || values.put(line.substring(0, eq), line.substring(eq + 1)) != null) {
        return Optional.empty();
      }
    }
    if (values.size() != KEYS.size()) {
      return Optional.empty();
    }
    try {
      String start = values.get("process-start");
      return Optional.of(new LeaseRecord(values.get("job"), Long.parseLong(values.get("pid")), values.get("host"),
          start.isEmpty() ? null : Instant.parse(start), Instant.parse(values.get("since")), Instant.parse(values.get("renewed")),
          values.get("token")));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * True when the holder is a process of this host that has ended: its pid is gone, or now belongs to
   * a process started at another time (pids are reused). A holder on another host cannot be asked.
   */
  boolean holderEndedOnThisHost() {
    if (!host.equals(LOCAL_HOST)) {
      return false;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty() || !process.get().isAlive()) {
      return true;
    }
    Optional<Instant> started = process.get().info().startInstant();
    // Start times are reported to the clock tick, and the same process may be read with a small rounding difference.
    return processStart != null && started.isPresent()
        && Duration.between(processStart, started.get()).abs().compareTo(Duration.ofSeconds(1)) > 0;
  }

  Duration sinceRenewal(Instant now) {
    Duration age = Duration.between(renewed, now);
    return age.isNegative() ? Duration.ZERO : age;
  }

  /** "run with pid 1234 on host h since 2026-12-06T22:10:03Z (lease renewed 2 s ago)". */
  String describe(Instant now) {
    return job + " with pid " + pid + " on host " + host + " since " + since + " (lease renewed " + sinceRenewal(now).toSeconds()
        + " s ago)";
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      String env = System.getenv("HOSTNAME");
      return env == null || env.isBlank() ? "unknown-host" : env;
    }
  }
}
