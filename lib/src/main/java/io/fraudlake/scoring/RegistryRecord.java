package io.fraudlake.scoring;

import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.RunInfo;
import java.util.Optional;

/**
 * What the registry knows of a model version: the version itself (aliases, run id, files) and, when
 * the run still exists, the run that logged it (parameters, metrics).
 */
public record RegistryRecord(ModelVersionInfo version, Optional<RunInfo> run) {}
