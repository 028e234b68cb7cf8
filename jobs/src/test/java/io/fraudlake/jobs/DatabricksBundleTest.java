package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.fraudlake.config.FraudLakeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * conf/databricks/databricks.yml as the Databricks CLI and the cluster would take it, without either:
 * the bundle against the CLI's JSON schema (a copy in test resources), every task's command line
 * against the jar's own parser, the runtime against the jar's Spark, and the access mode Unity
 * Catalog needs for the RDD API. Each check is also run on a broken copy, to show it can fail.
 */
class DatabricksBundleTest {
  private static final Path PROJECT = Path.of(System.getProperty("fraudlake.project.dir", "..")).toAbsolutePath().normalize();
  private static final Path BUNDLE = PROJECT.resolve("conf/databricks/databricks.yml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([^}]+)}");

  /**
   * Spark minor version -> the Databricks Runtime major version built on it, from the runtime release
   * notes ("Databricks Runtime 18 ... powered by Apache Spark 4.1.0"; 17.3 LTS is Spark 4.0.0; 19 is 4.2.0).
   */
  private static final Map<String, Integer> RUNTIME_FOR_SPARK = Map.of("4.0", 17, "4.1", 18, "4.2", 19);

  /** What the CLI fills in at deploy time, as plausible values; a reference to anything else is a typo. */
  private static final Map<String, String> DEPLOY_TIME = Map.of(
      "bundle.name", "fraudlake",
      "workspace.host", "https://example.cloud.databricks.com",
      "workspace.file_path", "/Workspace/Users/someone@example.com/.bundle/fraudlake/dev/files",
      "workspace.current_user.userName", "someone@example.com",
      "workspace.current_user.short_name", "someone");

  private static Schema schema;
  private static JsonNode schemaTree;

  @BeforeAll
  static void loadSchema() throws IOException {
    try (InputStream in = DatabricksBundleTest.class.getResourceAsStream("/databricks-bundle.schema.json")) {
      schemaTree = JSON.readTree(in);
    }
    // The CLI's schema names no dialect; it is written for 2020-12 ($defs, $ref beside other keywords).
    schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schemaTree);
  }

  private static ObjectNode bundle() {
    try {
      return (ObjectNode) YAML.readTree(BUNDLE.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode broken(Consumer<ObjectNode> change) {
    ObjectNode copy = bundle();
    change.accept(copy);
    return copy;
  }

  // ---- the schema

  /** Schema violations plus top-level keys the schema does not know (its top level admits any key). */
  private static List<String> schemaProblems(JsonNode bundle) {
    List<String> problems = new ArrayList<>();
    schema.validate(bundle).forEach(e -> problems.add(e.toString()));
    bundle.fieldNames().forEachRemaining(key -> {
      if (!schemaTree.path("properties").has(key)) {
        problems.add("/" + key + ": not a bundle setting");
      }
    });
    return problems;
  }

  @Test
  void theBundleFollowsTheCliSchema() {
    assertEquals(List.of(), schemaProblems(bundle()));
  }

  @Test
  void aBrokenBundleBreaksTheSchema() {
    Map<String, ObjectNode> broken = new LinkedHashMap<>();
    broken.put("a misspelt task setting", broken(b -> firstJarTask(b).set("paramters", JSON.createArrayNode())));
    broken.put("an access mode that does not exist", broken(b -> firstCluster(b).put("data_security_mode", "SINGLE-USER")));
    broken.put("a word for a number", broken(b -> firstCluster(b).put("num_workers", "two")));
    broken.put("an unknown top-level key", broken(b -> b.set("resource", b.get("resources"))));
    broken.put("a misspelt run_as", broken(b -> {
      ObjectNode runAs = (ObjectNode) b.path("targets").path("prod").path("run_as");
      runAs.set("service_principal", runAs.remove("service_principal_name"));
    }));
    broken.forEach((what, bundle) -> assertFalse(schemaProblems(bundle).isEmpty(), what + " passes the schema"));
    assertTrue(schemaProblems(broken.get("a misspelt task setting")).stream().anyMatch(p -> p.contains("paramters")),
        String.valueOf(schemaProblems(broken.get("a misspelt task setting"))));
  }

  // ---- the command lines

  /** Every spark_jar_task of the bundle, its targets' resources included, with where it is. */
  private static Map<String, ObjectNode> jarTasks(JsonNode bundle) {
    Map<String, ObjectNode> tasks = new LinkedHashMap<>();
    collect(bundle, "", tasks);
    return tasks;
  }

  private static void collect(JsonNode node, String where, Map<String, ObjectNode> tasks) {
    if (node.isObject()) {
      if (node.has("spark_jar_task")) {
        tasks.put(where + "[" + node.path("task_key").asText() + "]", (ObjectNode) node);
      }
      node.fields().forEachRemaining(field -> collect(field.getValue(), where + "/" + field.getKey(), tasks));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collect(node.get(i), where + "/" + i, tasks);
      }
    }
  }

  /**
   * The references of {@code text} replaced as the CLI would for {@code target}: variables by the
   * target's value or their default, resources by their settings, deploy-time values by samples.
   */
  private static String resolve(JsonNode bundle, String target, String text, int depth) {
    if (depth > 10) {
      throw new IllegalStateException("references nest too deep (a cycle?) in " + text);
    }
    Matcher m = REFERENCE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(resolve(bundle, target, lookup(bundle, target, m.group(1)), depth + 1)));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String lookup(JsonNode bundle, String target, String reference) {
    if (reference.equals("bundle.target")) {
      return target;
    }
    if (DEPLOY_TIME.containsKey(reference)) {
      return DEPLOY_TIME.get(reference);
    }
    String[] parts = reference.split("\\.");
    JsonNode value = null;
    if (parts[0].equals("var") && parts.length == 2) {
      if (!bundle.path("variables").has(parts[1])) {
        throw new IllegalArgumentException("${" + reference + "}: no such variable");
      }
      JsonNode override = bundle.path("targets").path(target).path("variables").path(parts[1]);
      value = override.isMissingNode() ? bundle.path("variables").path(parts[1]).path("default") : override;
    } else if (parts[0].equals("resources")) {
      value = bundle;
      for (String part : parts) {
        value = value.path(part);
      }
    }
    if (value == null || !value.isValueNode()) {
      throw new IllegalArgumentException("${" + reference + "}: not something the bundle defines");
    }
    return value.asText();
  }

  private static List<String> targets(JsonNode bundle) {
    List<String> names = new ArrayList<>();
    bundle.path("targets").fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** Each task's parameters, resolved per target, parsed as Main parses them; nothing runs. */
  private static List<String> commandLineProblems(JsonNode bundle) {
    List<String> problems = new ArrayList<>();
    Map<String, ObjectNode> tasks = jarTasks(bundle);
    if (tasks.isEmpty()) {
      problems.add("no spark_jar_task in the bundle");
    }
    for (String target : targets(bundle)) {
      tasks.forEach((where, task) -> {
        JsonNode jar = task.path("spark_jar_task");
        if (!Main.class.getName().equals(jar.path("main_class_name").asText())) {
          problems.add(where + ": main_class_name is not " + Main.class.getName());
        }
        if (!task.path("libraries").toString().contains("jobs/target/fraudlake-jobs.jar")) {
          problems.add(where + ": the task does not load the jobs jar");
        }
        List<String> args = new ArrayList<>();
        try {
          jar.path("parameters").forEach(p -> args.add(resolve(bundle, target, p.asText(), 0)));
          CommandLine cli = new CommandLine(new Main());
          cli.setCaseInsensitiveEnumValuesAllowed(true);
          CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(String[]::new));
          if (!parsed.hasSubcommand()) {
            problems.add(target + " " + where + ": " + args + " names no command");
          }
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
          problems.add(target + " " + where + ": " + e.getMessage());
        }
      });
    }
    return problems;
  }

  @Test
  void everyTaskCommandLineIsOneTheJarAccepts() {
    assertEquals(List.of(), commandLineProblems(bundle()));
    Set<String> commands = new TreeSet<>();
    jarTasks(bundle()).values().forEach(t -> commands.add(t.path("spark_jar_task").path("parameters").path(0).asText()));
    assertEquals(Set.of("bronze", "silver", "score", "train", "promote", "generate", "sql", "maintain"), commands);
  }

  @Test
  void aCommandLineTheJarRefusesIsReported() {
    ObjectNode unknownOption = broken(b -> ((ArrayNode) firstJarTask(b).path("parameters")).add("--no-such-option"));
    assertTrue(commandLineProblems(unknownOption).stream().anyMatch(p -> p.contains("--no-such-option")),
        String.valueOf(commandLineProblems(unknownOption)));
    ObjectNode unknownCommand = broken(b -> ((ArrayNode) firstJarTask(b).path("parameters")).set(0, TextNode.valueOf("bronz")));
    assertFalse(commandLineProblems(unknownCommand).isEmpty());
    ObjectNode missingValue = broken(b -> {
      ArrayNode params = (ArrayNode) firstJarTask(b).path("parameters");
      params.removeAll();
      params.add("bronze").add("--home");
    });
    assertFalse(commandLineProblems(missingValue).isEmpty());
    ObjectNode misspeltVariable = broken(b -> ((ArrayNode) firstJarTask(b).path("parameters")).add("--home").add("${var.catalgo}"));
    assertTrue(commandLineProblems(misspeltVariable).stream().anyMatch(p -> p.contains("var.catalgo")),
        String.valueOf(commandLineProblems(misspeltVariable)));
  }

  // ---- the cluster: runtime and access mode

  private static List<ObjectNode> clusters(JsonNode bundle) {
    List<ObjectNode> clusters = new ArrayList<>();
    bundle.findParents("new_cluster").forEach(parent -> clusters.add((ObjectNode) parent.get("new_cluster")));
    return clusters;
  }

  private static int runtimeMajor(String sparkVersionKey) {
    Matcher m = Pattern.compile("^(\\d+)\\.").matcher(sparkVersionKey);
    if (!m.find()) {
      throw new IllegalArgumentException("'" + sparkVersionKey + "' is not a Databricks Runtime version key");
    }
    return Integer.parseInt(m.group(1));
  }

  /** Every cluster's runtime, in every target, must be the one built on the Spark the jar is built on. */
  private static List<String> runtimeProblems(JsonNode bundle, String jarSpark) {
    String minor = jarSpark.replaceAll("^(\\d+\\.\\d+).*", "$1");
    Integer expected = RUNTIME_FOR_SPARK.get(minor);
    if (expected == null) {
      return List.of("no Databricks Runtime is known for Spark " + jarSpark + ": add it to RUNTIME_FOR_SPARK");
    }
    List<String> problems = new ArrayList<>();
    List<ObjectNode> clusters = clusters(bundle);
    if (clusters.isEmpty()) {
      problems.add("no job cluster in the bundle");
    }
    for (String target : targets(bundle)) {
      for (ObjectNode cluster : clusters) {
        String key = resolve(bundle, target, cluster.path("spark_version").asText(), 0);
        if (runtimeMajor(key) != expected || !key.contains("scala2.13")) {
          problems.add(target + ": runtime " + key + " is not Databricks Runtime " + expected + " (Spark " + minor
              + ", Scala 2.13), the one the jar is built for (Spark " + jarSpark + ")");
        }
      }
    }
    return problems;
  }

  @Test
  void theRuntimeIsTheOneBuiltOnTheJarsSpark() {
    String jarSpark = org.apache.spark.package$.MODULE$.SPARK_VERSION();
    assertEquals(List.of(), runtimeProblems(bundle(), jarSpark));
    assertEquals(18, runtimeMajor(bundle().path("variables").path("spark_version").path("default").asText()),
        "Spark " + jarSpark + " is Databricks Runtime 18");
    ObjectNode spark40 = broken(b -> ((ObjectNode) b.path("variables").path("spark_version")).put("default", "17.3.x-scala2.13"));
    assertFalse(runtimeProblems(spark40, jarSpark).isEmpty(), "17.3 runs Spark 4.0");
    ObjectNode prodOnly = broken(b -> ((ObjectNode) b.path("targets").path("prod").path("variables")).put("spark_version", "16.4.x-scala2.12"));
    assertTrue(runtimeProblems(prodOnly, jarSpark).stream().anyMatch(p -> p.startsWith("prod:")), "a target's own runtime is checked");
  }

  /** Unity Catalog allows the RDD API and Spark ML only on dedicated (single-user) clusters. */
  private static List<String> accessModeProblems(JsonNode bundle) {
    List<String> problems = new ArrayList<>();
    for (ObjectNode cluster : clusters(bundle)) {
      String mode = cluster.path("data_security_mode").asText();
      if (!mode.equals("SINGLE_USER") && !mode.equals("DATA_SECURITY_MODE_DEDICATED")) {
        problems.add("a job cluster has data_security_mode '" + mode + "', not dedicated (SINGLE_USER)");
      }
      if (cluster.path("single_user_name").asText().isBlank()) {
        problems.add("a dedicated job cluster names no single_user_name");
      }
    }
    return problems;
  }

  @Test
  void everyJobClusterIsDedicatedToTheIdentityTheJobsRunAs() {
    ObjectNode bundle = bundle();
    assertEquals(List.of(), accessModeProblems(bundle));
    clusters(bundle).forEach(c -> assertEquals("${var.run_identity}", c.path("single_user_name").asText()));
    for (String target : List.of("staging", "prod")) {
      JsonNode t = bundle.path("targets").path(target);
      assertEquals("${var.service_principal}", t.path("run_as").path("service_principal_name").asText(), target);
      assertEquals("${var.service_principal}", t.path("variables").path("run_identity").asText(), target);
    }
    assertFalse(accessModeProblems(broken(b -> firstCluster(b).put("data_security_mode", "USER_ISOLATION"))).isEmpty());
    assertFalse(accessModeProblems(broken(b -> firstCluster(b).remove("single_user_name"))).isEmpty());
  }

  @Test
  void tableMaintenanceRunsDailyAsItsOwnJob() {
    JsonNode job = bundle().path("resources").path("jobs").path("fraudlake_maintenance");
    JsonNode schedule = job.path("schedule");
    // Quartz: seconds minutes hours day-of-month month day-of-week; a fixed time every day.
    String[] cron = schedule.path("quartz_cron_expression").asText().split(" ");
    assertEquals(6, cron.length, schedule.toString());
    assertTrue(cron[0].matches("\\d+") && cron[1].matches("\\d+") && cron[2].matches("\\d+"), schedule.toString());
    assertEquals(List.of("*", "*", "?"), List.of(cron[3], cron[4], cron[5]), "every day: " + schedule);
    assertEquals("UNPAUSED", schedule.path("pause_status").asText());
    assertEquals(1, job.path("max_concurrent_runs").asInt(), "two maintenance runs would only compete for the same files");
    JsonNode parameters = job.path("tasks").path(0).path("spark_jar_task").path("parameters");
    assertEquals("maintain", parameters.path(0).asText());
  }

  // ---- the targets and the configuration they run with

  @Test
  void devIsForDevelopmentAndStagingAndProdAreProduction() {
    ObjectNode bundle = bundle();
    JsonNode targets = bundle.path("targets");
    assertEquals(List.of("dev", "staging", "prod"), targets(bundle));
    assertEquals("development", targets.path("dev").path("mode").asText());
    assertTrue(targets.path("dev").path("default").asBoolean());
    for (String target : List.of("staging", "prod")) {
      assertEquals("production", targets.path(target).path("mode").asText(), target);
      assertTrue(targets.path(target).path("workspace").path("root_path").asText().contains("${bundle.target}"),
          target + " needs its own root path (the CLI requires one in production mode)");
    }
    for (String target : targets(bundle)) {
      targets.path(target).path("variables").fieldNames().forEachRemaining(name ->
          assertTrue(bundle.path("variables").has(name), target + " sets the undeclared variable " + name));
    }
    // Development mode prefixes dev's schema with dev_<user>_; staging and prod must differ by name.
    assertFalse(resolve(bundle, "staging", "${var.schema}", 0).equals(resolve(bundle, "prod", "${var.schema}", 0)));
    assertFalse(resolve(bundle, "staging", "${var.model_name}", 0).equals(resolve(bundle, "prod", "${var.model_name}", 0)));
  }

  /** The FRAUDLAKE_* variables the clusters set are the ones databricks.conf reads, and the file loads. */
  @Test
  void theClustersSetWhatDatabricksConfReads() throws IOException {
    Path conf = PROJECT.resolve("conf/databricks.conf");
    Set<String> read = new TreeSet<>();
    Matcher m = Pattern.compile("\\$\\{\\?(FRAUDLAKE_[A-Z_]+)}").matcher(Files.readString(conf));
    while (m.find()) {
      read.add(m.group(1));
    }
    for (ObjectNode cluster : clusters(bundle())) {
      Set<String> set = new TreeSet<>();
      for (Iterator<String> it = cluster.path("spark_env_vars").fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (name.startsWith("FRAUDLAKE_")) {
          set.add(name);
        }
      }
      assertEquals(read, set);
      assertEquals("databricks", cluster.path("spark_env_vars").path("MLFLOW_TRACKING_URI").asText());
    }
    FraudLakeConfig config = FraudLakeConfig.load(conf, Files.createTempDirectory("bundle-conf"), Map.of());
    assertEquals("catalog", config.string("lakehouse.mode"));
    assertTrue(config.string("model.experiment").startsWith("/"), "Databricks keeps experiments at workspace paths");
    assertTrue(resolve(bundle(), "staging", "${var.experiment}", 0).startsWith("/"));
  }

  // ---- helpers to break a copy

  private static ObjectNode firstJarTask(JsonNode bundle) {
    return (ObjectNode) jarTasks(bundle).values().iterator().next().get("spark_jar_task");
  }

  private static ObjectNode firstCluster(JsonNode bundle) {
    return clusters(bundle).get(0);
  }
}
