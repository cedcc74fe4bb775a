"""One study package per chapter of the book, named after its notebook:

    chapter page -> notebooks/NN_<chapter>.ipynb -> studies.<chapter>.run(Params) -> method modules

=========================  ==============================  ==============================================
notebook                   study package                   its experiments
=========================  ==============================  ==============================================
01_data_and_zoo            ``studies.data_and_zoo``        data sets, the zoo's accuracy and recipes
02_noise_mnist             ``studies.noise_mnist``         ``experiments``, ``claims``
03_input_similarity        ``studies.input_similarity``    ``kernels``, ``labels``, ``registration_task``,
                                                           ``enforcement_runs``, ``claims``
04_cifar_bird              ``studies.cifar_bird``          ``experiments``, ``clutter``, ``claims``
05_adversarial             ``studies.adversarial``         ``experiments``, ``units``, ``claims``
06_synthesis               ``studies.synthesis``           ``factorial``, ``outputs``, ``pair_relations``,
                                                           ``ensembles``, ``claims``
99_conclusions             ``studies.conclusions``         every chapter's verdicts gathered
=========================  ==============================  ==============================================

Each package's ``__init__`` holds the chapter's ``Params`` (its parameters, with the full profile's
values as defaults, checked once) and ``run(p) -> Result`` (its experiments in order, cached as a
whole; see ``chapter``). ``python -m noisecorr_utils.studies.<chapter> --profile ci`` runs a
chapter without papermill and prints its verdicts.
"""
