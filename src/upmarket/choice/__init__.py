"""Choice models on a conjoint (``choices``): the design matrix, the MNL, the latent-class logit, the group proxy.

Neutral ground: the segments, demand and price-plan analyses all estimate or read these models, and no
analysis imports another, so the estimators live here rather than inside one of them.
"""
