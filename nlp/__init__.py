"""Feedloop NLP engine: root causes, sentiment, praise, referral and churn signals for customer verbatims."""
