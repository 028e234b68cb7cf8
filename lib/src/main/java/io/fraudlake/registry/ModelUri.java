package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * A {@code models:/name/3} or {@code models:/name@alias} URI: a registered model and either a
 * version number or an alias. Stage URIs ({@code models:/name/Production}) are deliberately not
 * accepted: MLflow deprecated stages in favour of aliases.
 */
public final class ModelUri {
  private static final String SCHEME = "models:/";
  private static final Pattern NAME = Pattern.compile("[^/@\\s][^/@]*");
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z_][A-Za-z0-9_\\-]*");
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");

  private final String name;
  private final Long version;
  private final String alias;

  private ModelUri(String name, Long version, String alias) {
    this.name = name;
    this.version = version;
    this.alias = alias;
  }

  public static ModelUri ofVersion(String name, long version) {
    requireName(name, "models:/" + name + "/" + version);
    if (version < 1) {
      throw new FraudLakeException("model version must be a positive integer, got " + version);
    }
    return new ModelUri(name, version, null);
  }

  public static ModelUri ofAlias(String name, String alias) {
    requireName(name, "models:/" + name + "@" + alias);
    requireAlias(alias);
    return new ModelUri(name, null, alias);
  }

  /** Parses {@code models:/name/3} or {@code models:/name@alias}; anything else is a one-line error. */
  public static ModelUri parse(String uri) {
    if (uri == null || uri.isBlank()) {
      throw malformed(String.valueOf(uri), "it is empty");
    }
    String text = uri.trim();
    if (!text.startsWith(SCHEME) || text.startsWith(SCHEME + "/")) {
      throw malformed(text, "it must start with models:/ followed by the model name");
    }
    String rest = text.substring(SCHEME.length());
    int at = rest.lastIndexOf('@');
    int slash = rest.indexOf('/');
    if (at >= 0) {
      if (slash >= 0) {
        throw malformed(text, "use either /version or @alias, not both");
      }
      String name = rest.substring(0, at);
      String alias = rest.substring(at + 1);
      if (name.isEmpty() || !NAME.matcher(name).matches()) {
        throw malformed(text, "the model name is missing or invalid");
      }
      if (!ALIAS.matcher(alias).matches()) {
        throw malformed(text, "the alias must be letters, digits, '_' or '-' and not start with a digit");
      }
      if (isReservedAlias(alias)) {
        throw malformed(text, "MLflow reserves the aliases 'latest' and 'v<number>'");
      }
      return new ModelUri(name, null, alias);
    }
    if (slash < 0) {
      throw malformed(text, "a version (models:/name/3) or an alias (models:/name@prod) is required");
    }
    String name = rest.substring(0, slash);
    String version = rest.substring(slash + 1);
    if (name.isEmpty() || !NAME.matcher(name).matches()) {
      throw malformed(text, "the model name is missing or invalid");
    }
    if (!VERSION.matcher(version).matches()) {
      throw malformed(text, "the version must be a positive integer (stages like 'Production' are not supported, use an alias)");
    }
    return new ModelUri(name, Long.parseLong(version), null);
  }

  private static FraudLakeException malformed(String uri, String why) {
    return new FraudLakeException("malformed model URI '" + uri + "': " + why);
  }

  static void requireName(String name, String context) {
    if (name == null || name.isBlank() || !NAME.matcher(name).matches()) {
      throw new FraudLakeException("invalid registered model name in '" + context
          + "': it must be non-empty and contain no '/' or '@'");
    }
  }

  static void requireAlias(String alias) {
    if (alias == null || !ALIAS.matcher(alias).matches()) {
      throw new FraudLakeException("invalid alias '" + alias
          + "': use letters, digits, '_' or '-', not starting with a digit");
    }
    if (isReservedAlias(alias)) {
      throw new FraudLakeException("invalid alias '" + alias + "': MLflow reserves 'latest' and 'v<number>'");
    }
  }

  // MLflow refuses these because they would be ambiguous with version references.
  private static boolean isReservedAlias(String alias) {
    return alias.equalsIgnoreCase("latest") || alias.matches("[vV][0-9]+");
  }

  public String name() {
    return name;
  }

  public OptionalLong version() {
    return version == null ? OptionalLong.empty() : OptionalLong.of(version);
  }

  /** The alias, or null when the URI names a version. */
  public String alias() {
    return alias;
  }

  public boolean isAlias() {
    return alias != null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelUri other
        && name.equals(other.name)
        && Objects.equals(version, other.version)
        && Objects.equals(alias, other.alias);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, version, alias);
  }

  @Override
  public String toString() {
    return alias != null ? SCHEME + name + "@" + alias : SCHEME + name + "/" + version;
  }
}
