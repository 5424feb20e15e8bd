"""Developer tools that are not shipped in the plugin's analysis core: the sample-data
generator (:mod:`tools.simulate`) and the sample pipeline's settings
(:mod:`tools.sample_pipeline`), used by scripts/, tests/ and bench/."""
