package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The command line in-process: exit codes, one-line errors, and a small end-to-end run. */
class MainTest {
  private static Path home() throws IOException {
    return Files.createTempDirectory("fraudlake-cli-");
  }

  private static void assertOneLineError(CliRun.Outcome r, int code, String expected) {
    assertEquals(code, r.exit(), r.err());
    String[] lines = r.err().strip().split("\\R");
    assertEquals(1, lines.length, r.err());
    assertTrue(lines[0].contains(expected), lines[0]);
  }

  @Test
  void badInputIsAOneLineErrorWithANonZeroExit() throws IOException {
    Path home = home();
    assertOneLineError(CliRun.run(home, "generate", "--rows", "-5"), 1, "fraudlake generate: error: --rows must be positive, got -5");
    assertOneLineError(CliRun.run(home, "generate", "--fraud-rate", "lots"), 2, "'lots' is not a double");
    assertOneLineError(CliRun.run(home, "generate", "--start", "yesterday"), 1, "--start: cannot read 'yesterday'");
    assertOneLineError(CliRun.run(home, "sql", "--format", "xml", "--query", "SELECT 1"), 1, "unknown format 'xml'");
    assertOneLineError(CliRun.run(home, "sql"), 2, "Missing required argument");
    assertOneLineError(CliRun.run(home, "sql", "--limit", "-5", "--query", "SELECT 1"), 1,
        "fraudlake sql: error: --limit must be a number of rows from 1 to 2147483646, or 0 or all for every row; got \"-5\"");
    assertOneLineError(CliRun.run(home, "sql", "--limit", "some", "--query", "SELECT 1"), 1, "got \"some\"");
    assertOneLineError(CliRun.run(home, "sql", "--file", home.resolve("missing.sql").toString()), 1, "cannot read SQL file");
    assertOneLineError(CliRun.run(home, "silver", "--once", "--batch"), 1, "--once and --batch exclude each other");
  }

  @Test
  void withoutConfOutsideTheLauncherTheJarsDefaultsApplyAndAMissingConfNamesWhereItLooked() throws IOException {
    Path home = home();
    // The test JVM, like spark-submit, runs without the launcher's fraudlake.root and with a working
    // folder that holds no conf/local.conf.
    CliRun.Outcome defaults = CliRun.exactly("generate", "--rows", "200", "--files", "1", "--home", home.toString());
    assertEquals(0, defaults.exit(), defaults.err());
    try (Stream<Path> files = Files.list(home.resolve("landing"))) {
      assertEquals(1, files.count());
    }

    CliRun.Outcome missing = CliRun.exactly("generate", "--rows", "10", "--home", home.toString(), "--conf", "nowhere.conf");
    assertOneLineError(missing, 1, "fraudlake generate: error: configuration file not found: nowhere.conf (looked for "
        + Path.of("nowhere.conf").toAbsolutePath());
  }

  @Test
  void everyOptionIsDescribedInHelp() throws IOException {
    CliRun.Outcome help = CliRun.run(home(), "generate", "--help");
    assertEquals(0, help.exit());
    for (String option : List.of("--rows", "--cards", "--fraud-rate", "--start", "--days", "--files", "--seed",
        "--amount-shift", "--foreign-rate", "--home")) {
      assertTrue(help.out().contains(option), option);
    }
    CliRun.Outcome main = CliRun.run(home(), "--help");
    for (String command : List.of("generate", "bronze", "silver", "sql")) {
      assertTrue(main.out().contains(command), command);
    }
  }

  @Test
  void generateBronzeSilverAndSqlEndToEnd() throws IOException {
    Path home = home();
    CliRun.Outcome generated = CliRun.run(home, "generate", "--rows", "400", "--cards", "5", "--seed", "3", "--start", "2024-03-10",
        "--files", "2");
    assertEquals(0, generated.exit(), generated.err());
    assertTrue(generated.out().startsWith("generate: 400 rows"), generated.out());
    try (Stream<Path> files = Files.list(home.resolve("landing"))) {
      assertEquals(2, files.count());
    }
    CliRun.Outcome bronze = CliRun.run(home, "bronze", "--once");
    assertEquals(0, bronze.exit(), bronze.err());
    assertTrue(bronze.out().contains("bronze: 400 rows written to bronze_transactions, 0 quarantined"), bronze.out());
    CliRun.Outcome silver = CliRun.run(home, "silver", "--once");
    assertEquals(0, silver.exit(), silver.err());
    assertTrue(silver.out().contains("waiting for the watermark"), silver.out());
    CliRun.Outcome sql = CliRun.run(home, "sql", "--format", "csv", "--query",
        "SELECT count(*) + (SELECT count(*) FROM bronze_quarantine) AS n FROM bronze_transactions");
    assertEquals(0, sql.exit(), sql.err());
    assertEquals("n\n400\n", sql.out());
  }
}
