"""The named choices of the training settings, in a module without torch so that the CLI lists them
(``--help``, argparse's ``choices``) without importing the trainer."""

from __future__ import annotations

STREAMS = ("joint", "bone", "joint_bone")  # what a network reads: joints, bones or both
OPTIMIZERS = ("adamw", "sgd")
MIXES = ("none", "parts", "mixup")  # batch mixing, see mixing.py
OBJECTIVES = ("classify", "masked", "contrastive")
SELF_SUPERVISED = ("masked", "contrastive")  # no labels read, no classifier trained, no test score
MASK_TARGETS = ("all", "motion")  # masked: every input channel of the hidden joints, or their velocities
COTRAIN_SPLITS = ("train", "all")  # co-trained datasets: their standard training split, or every clip
