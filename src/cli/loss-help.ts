/** The --loss-fn help text, kept apart from the loss code so that the CLI's start-up does not load it (main.ts). */

/** Each loss as PyTorch defines it, and what its labels input takes (the names of LOSS_FUNCTIONS in src/train/loss.ts). */
export const LOSS_FN_HELP = 'append a loss, as PyTorch defines it (mean reduction): cross-entropy (int64 class labels, ignore_index -100), nll (int64 class labels, on log-probabilities), mse, l1 or bce-with-logits (float targets shaped like the output)';
