"""The workflows users touch: configure, train, evaluate, predict, save and load classifiers (text and image).

Modules: ``config`` (the experiment config), ``train`` (train and cross-validate), ``evaluate``, ``classifier``
(:class:`TextClassifier`), ``model_dir`` (the saved format), ``predict`` (files in, predictions out), ``sklearn``
(:class:`TextCNNClassifier`), ``image`` (image models on arrays). Heavy imports stay inside the modules, so importing
the package is cheap.
"""
