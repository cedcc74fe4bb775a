"""One study module per chapter of the book, mirroring the notebooks one to one.

A study module holds its chapter's experiments as functions that take parameters and return
tables (pandas DataFrames), cached next to the computation and keyed by everything they depend
on; the notebook only calls them, draws figures, glues numbers and tells the story.

=========================  ==============================
notebook                   study module
=========================  ==============================
01_data_and_zoo            ``studies.zoo``
02_noise_mnist             ``studies.noise``
03_similarity              ``studies.similarity``
=========================  ==============================
"""
