import type { Output } from '../../api/contract.js';
import { decidePromotion, listPromotions, previewPromotion, requestPromotion, rollback, showPromotion, withdrawPromotion, type PromotionResult } from '../../registry/services/promotions.js';
import type { Handlers } from '../handler.js';

/** Recorded but refused (failed gates, voided evidence) is an outcome of its own, not an error and not a side field. */
const outcome = (r: PromotionResult): Output<'promotions.request'> => (r.refused ? { outcome: 'refused', promotion: r.promotion, refusal: r.refused } : { outcome: 'done', promotion: r.promotion });

export const promotionHandlers: Handlers<'promotions.list' | 'promotions.show' | 'promotions.preview' | 'promotions.request' | 'promotions.decide' | 'promotions.withdraw' | 'promotions.rollback'> = {
  'promotions.list': ({ reg, actor }, { environment, model, open }) => listPromotions(reg, actor, { ...(environment ? { env: environment } : {}), ...(model ? { model } : {}), open }),
  'promotions.show': ({ reg, actor }, { id }) => showPromotion(reg, actor, id),
  'promotions.preview': ({ reg, actor }, { ref, environment }) => previewPromotion(reg, actor, ref, environment),
  'promotions.request': async ({ reg, actor }, { ref, environment }) => outcome(await requestPromotion(reg, actor, ref, environment)),
  'promotions.decide': async ({ reg, actor }, { id, decision, note }) => outcome(await decidePromotion(reg, actor, id, decision, note)),
  'promotions.withdraw': ({ reg, actor }, { id, reason }) => outcome(withdrawPromotion(reg, actor, id, reason)),
  'promotions.rollback': ({ reg, actor }, { model, environment, reason }) => {
    const r = rollback(reg, actor, model, environment, reason);
    return { promotion: r.promotion, reviewId: r.reviewId };
  },
};
