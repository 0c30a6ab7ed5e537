#!/usr/bin/python3
# reddit_events.py CSV... - the Reddit r/all hourly snapshots (../shared/datasets/raw/
# reddit-rall-hourly/*/core_data.csv) as `viral stream` observe events, sorted by
# observed_at then id, on stdout. score is the counter the label rule reads.
import csv, json, sys
rows = []
for path in sys.argv[1:]:
    with open(path, newline='') as f:
        for r in csv.DictReader(f):
            rows.append(r)
rows.sort(key=lambda r: (r['date'], r['id']))
for r in rows:
    print(json.dumps({"event": "observe", "video_id": r['id'], "observed_at": r['date'] + ":00:00Z",
                      "posted_at": int(r['created']), "score": int(r['score']),
                      "comments": int(r['num_comments']), "upvote_ratio": float(r['upvote_ratio']),
                      "position": int(r['position']), "subreddit": r['subreddit_display_name'],
                      "is_self": int(r['is_self']), "url": r['url'], "caption": r['title']},
                     ensure_ascii=False, separators=(',', ':')))
