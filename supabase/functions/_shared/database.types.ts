
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            "announcements": {
                  Row: {
                    "body": string,"completed_at": string | null,"created_at": string,"created_by": string | null,"id": string,"last_recipient_id": string | null,"program_id": string | null,"recipients_done": number,"scope": string,"status": string,"title": string
                  }
                  ComputedFields: never
                  Insert: {
                    "body": string,"completed_at"?: string | null,"created_at"?: string,"created_by"?: string | null,"id"?: string,"last_recipient_id"?: string | null,"program_id"?: string | null,"recipients_done"?: number,"scope": string,"status"?: string,"title": string
                  }
                  Update: {
                    "body"?: string,"completed_at"?: string | null,"created_at"?: string,"created_by"?: string | null,"id"?: string,"last_recipient_id"?: string | null,"program_id"?: string | null,"recipients_done"?: number,"scope"?: string,"status"?: string,"title"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "announcements_program_id_fkey"
      columns: ["program_id"]
isOneToOne: false
      referencedRelation: "programs"
      referencedColumns: ["id"]
    }
                  ]
                },"attendance_intervals": {
                  Row: {
                    "connection_id": string,"id": string,"joined_at": string,"last_heartbeat_at": string,"left_at": string | null,"session_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "connection_id"?: string,"id"?: string,"joined_at"?: string,"last_heartbeat_at"?: string,"left_at"?: string | null,"session_id": string,"user_id": string
                  }
                  Update: {
                    "connection_id"?: string,"id"?: string,"joined_at"?: string,"last_heartbeat_at"?: string,"left_at"?: string | null,"session_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "attendance_intervals_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "attendance_intervals_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"audit_log": {
                  Row: {
                    "action": string,"actor_id": string | null,"actor_role": string,"after": Json | null,"before": Json | null,"details": NonNullable<Json>,"id": number,"occurred_at": string,"target_id": string | null,"target_type": string
                  }
                  ComputedFields: never
                  Insert: {
                    "action": string,"actor_id"?: string | null,"actor_role": string,"after"?: Json | null,"before"?: Json | null,"details"?: NonNullable<Json>,"id"?: never,"occurred_at"?: string,"target_id"?: string | null,"target_type": string
                  }
                  Update: {
                    "action"?: string,"actor_id"?: string | null,"actor_role"?: string,"after"?: Json | null,"before"?: Json | null,"details"?: NonNullable<Json>,"id"?: never,"occurred_at"?: string,"target_id"?: string | null,"target_type"?: string
                  }
                  Relationships: [
                    
                  ]
                },"bookings": {
                  Row: {
                    "cancelled_at": string | null,"created_at": string,"default_reminders_pending": boolean,"id": string,"no_show_at": string | null,"session_id": string,"status": string,"updated_at": string,"user_id": string,"waitlist_position": number | null
                  }
                  ComputedFields: never
                  Insert: {
                    "cancelled_at"?: string | null,"created_at"?: string,"default_reminders_pending"?: boolean,"id"?: string,"no_show_at"?: string | null,"session_id": string,"status"?: string,"updated_at"?: string,"user_id": string,"waitlist_position"?: number | null
                  }
                  Update: {
                    "cancelled_at"?: string | null,"created_at"?: string,"default_reminders_pending"?: boolean,"id"?: string,"no_show_at"?: string | null,"session_id"?: string,"status"?: string,"updated_at"?: string,"user_id"?: string,"waitlist_position"?: number | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "bookings_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "bookings_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"calendar_feeds": {
                  Row: {
                    "created_at": string,"id": string,"revoked_at": string | null,"token_hash": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: string,"revoked_at"?: string | null,"token_hash": string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"id"?: string,"revoked_at"?: string | null,"token_hash"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"chat_messages": {
                  Row: {
                    "body": string,"client_id": string | null,"created_at": string,"deleted_at": string | null,"deleted_by": string | null,"id": string,"is_pinned": boolean,"kind": string,"pinned_at": string | null,"room_id": string | null,"session_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "body": string,"client_id"?: string | null,"created_at"?: string,"deleted_at"?: string | null,"deleted_by"?: string | null,"id"?: string,"is_pinned"?: boolean,"kind"?: string,"pinned_at"?: string | null,"room_id"?: string | null,"session_id": string,"user_id": string
                  }
                  Update: {
                    "body"?: string,"client_id"?: string | null,"created_at"?: string,"deleted_at"?: string | null,"deleted_by"?: string | null,"id"?: string,"is_pinned"?: boolean,"kind"?: string,"pinned_at"?: string | null,"room_id"?: string | null,"session_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "chat_messages_room_id_fkey"
      columns: ["room_id"]
isOneToOne: false
      referencedRelation: "rooms"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_messages_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_messages_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"coach_applications": {
                  Row: {
                    "created_at": string,"id": string,"motivation": string,"review_note": string | null,"reviewed_at": string | null,"reviewed_by": string | null,"status": Database["public"]['Enums']["coach_application_status"],"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: string,"motivation": string,"review_note"?: string | null,"reviewed_at"?: string | null,"reviewed_by"?: string | null,"status"?: Database["public"]['Enums']["coach_application_status"],"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"id"?: string,"motivation"?: string,"review_note"?: string | null,"reviewed_at"?: string | null,"reviewed_by"?: string | null,"status"?: Database["public"]['Enums']["coach_application_status"],"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"coach_availability": {
                  Row: {
                    "coach_id": string,"created_at": string,"end_time": string,"id": string,"start_time": string,"weekday": number
                  }
                  ComputedFields: never
                  Insert: {
                    "coach_id"?: string,"created_at"?: string,"end_time": string,"id"?: string,"start_time": string,"weekday": number
                  }
                  Update: {
                    "coach_id"?: string,"created_at"?: string,"end_time"?: string,"id"?: string,"start_time"?: string,"weekday"?: number
                  }
                  Relationships: [
                    
                  ]
                },"coach_booking_settings": {
                  Row: {
                    "buffer_minutes": number,"coach_id": string,"created_at": string,"horizon_days": number,"late_cancel_minutes": number,"min_notice_minutes": number,"slot_minutes": number,"timezone": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "buffer_minutes"?: number,"coach_id"?: string,"created_at"?: string,"horizon_days"?: number,"late_cancel_minutes"?: number,"min_notice_minutes"?: number,"slot_minutes"?: number,"timezone"?: string,"updated_at"?: string
                  }
                  Update: {
                    "buffer_minutes"?: number,"coach_id"?: string,"created_at"?: string,"horizon_days"?: number,"late_cancel_minutes"?: number,"min_notice_minutes"?: number,"slot_minutes"?: number,"timezone"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"coach_time_off": {
                  Row: {
                    "coach_id": string,"created_at": string,"ends_at": string,"id": string,"reason": string | null,"starts_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "coach_id"?: string,"created_at"?: string,"ends_at": string,"id"?: string,"reason"?: string | null,"starts_at": string
                  }
                  Update: {
                    "coach_id"?: string,"created_at"?: string,"ends_at"?: string,"id"?: string,"reason"?: string | null,"starts_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"conversation_members": {
                  Row: {
                    "conversation_id": string,"joined_at": string,"last_read_at": string,"role": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "conversation_id": string,"joined_at"?: string,"last_read_at"?: string,"role"?: string,"user_id": string
                  }
                  Update: {
                    "conversation_id"?: string,"joined_at"?: string,"last_read_at"?: string,"role"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "conversation_members_conversation_id_fkey"
      columns: ["conversation_id"]
isOneToOne: false
      referencedRelation: "conversations"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "conversation_members_conversation_id_fkey"
      columns: ["conversation_id"]
isOneToOne: false
      referencedRelation: "my_conversations"
      referencedColumns: ["id"]
    }
                  ]
                },"conversations": {
                  Row: {
                    "created_at": string,"created_by": string | null,"id": string,"kind": string,"last_message_at": string | null,"title": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"created_by"?: string | null,"id"?: string,"kind": string,"last_message_at"?: string | null,"title"?: string | null
                  }
                  Update: {
                    "created_at"?: string,"created_by"?: string | null,"id"?: string,"kind"?: string,"last_message_at"?: string | null,"title"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"direct_messages": {
                  Row: {
                    "body": string,"client_id": string | null,"conversation_id": string,"created_at": string,"deleted_at": string | null,"edited_at": string | null,"id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "body": string,"client_id"?: string | null,"conversation_id": string,"created_at"?: string,"deleted_at"?: string | null,"edited_at"?: string | null,"id"?: string,"user_id": string
                  }
                  Update: {
                    "body"?: string,"client_id"?: string | null,"conversation_id"?: string,"created_at"?: string,"deleted_at"?: string | null,"edited_at"?: string | null,"id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "direct_messages_conversation_id_fkey"
      columns: ["conversation_id"]
isOneToOne: false
      referencedRelation: "conversations"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "direct_messages_conversation_id_fkey"
      columns: ["conversation_id"]
isOneToOne: false
      referencedRelation: "my_conversations"
      referencedColumns: ["id"]
    }
                  ]
                },"events": {
                  Row: {
                    "created_at": string,"created_by": string | null,"description": string | null,"ends_at": string,"id": string,"program_id": string,"slug": string,"starts_at": string,"status": string,"title": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"created_by"?: string | null,"description"?: string | null,"ends_at": string,"id"?: string,"program_id": string,"slug": string,"starts_at": string,"status"?: string,"title": string,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"created_by"?: string | null,"description"?: string | null,"ends_at"?: string,"id"?: string,"program_id"?: string,"slug"?: string,"starts_at"?: string,"status"?: string,"title"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "events_program_id_fkey"
      columns: ["program_id"]
isOneToOne: false
      referencedRelation: "programs"
      referencedColumns: ["id"]
    }
                  ]
                },"notification_deliveries": {
                  Row: {
                    "attempts": number,"channel": string,"created_at": string,"id": string,"kind": string,"last_error": string | null,"next_attempt_at": string,"notification_id": string | null,"payload": NonNullable<Json>,"provider_message_id": string | null,"sent_at": string | null,"session_id": string | null,"status": string,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attempts"?: number,"channel": string,"created_at"?: string,"id"?: string,"kind": string,"last_error"?: string | null,"next_attempt_at"?: string,"notification_id"?: string | null,"payload": NonNullable<Json>,"provider_message_id"?: string | null,"sent_at"?: string | null,"session_id"?: string | null,"status"?: string,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "attempts"?: number,"channel"?: string,"created_at"?: string,"id"?: string,"kind"?: string,"last_error"?: string | null,"next_attempt_at"?: string,"notification_id"?: string | null,"payload"?: NonNullable<Json>,"provider_message_id"?: string | null,"sent_at"?: string | null,"session_id"?: string | null,"status"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"notification_kinds": {
                  Row: {
                    "attach_ics": boolean,"default_email": boolean,"default_in_app": boolean,"default_push": boolean,"email_digest": boolean,"kind": string,"push_ttl_seconds": number,"push_urgency": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attach_ics"?: boolean,"default_email"?: boolean,"default_in_app"?: boolean,"default_push"?: boolean,"email_digest"?: boolean,"kind": string,"push_ttl_seconds"?: number,"push_urgency"?: string
                  }
                  Update: {
                    "attach_ics"?: boolean,"default_email"?: boolean,"default_in_app"?: boolean,"default_push"?: boolean,"email_digest"?: boolean,"kind"?: string,"push_ttl_seconds"?: number,"push_urgency"?: string
                  }
                  Relationships: [
                    
                  ]
                },"notification_preferences": {
                  Row: {
                    "default_reminders": boolean,"email": boolean,"in_app": boolean,"kind": string,"push": boolean,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "default_reminders"?: boolean,"email"?: boolean,"in_app"?: boolean,"kind": string,"push"?: boolean,"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "default_reminders"?: boolean,"email"?: boolean,"in_app"?: boolean,"kind"?: string,"push"?: boolean,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"notifications": {
                  Row: {
                    "body": string | null,"created_at": string,"data": NonNullable<Json>,"id": string,"kind": string,"link": string | null,"read_at": string | null,"title": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "body"?: string | null,"created_at"?: string,"data"?: NonNullable<Json>,"id"?: string,"kind": string,"link"?: string | null,"read_at"?: string | null,"title": string,"user_id": string
                  }
                  Update: {
                    "body"?: string | null,"created_at"?: string,"data"?: NonNullable<Json>,"id"?: string,"kind"?: string,"link"?: string | null,"read_at"?: string | null,"title"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"poll_ballots": {
                  Row: {
                    "created_at": string,"poll_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"poll_id": string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"poll_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "poll_ballots_poll_id_fkey"
      columns: ["poll_id"]
isOneToOne: false
      referencedRelation: "polls"
      referencedColumns: ["id"]
    }
                  ]
                },"poll_options": {
                  Row: {
                    "id": string,"label": string,"poll_id": string,"position": number
                  }
                  ComputedFields: never
                  Insert: {
                    "id"?: string,"label": string,"poll_id": string,"position": number
                  }
                  Update: {
                    "id"?: string,"label"?: string,"poll_id"?: string,"position"?: number
                  }
                  Relationships: [
                    {
      foreignKeyName: "poll_options_poll_id_fkey"
      columns: ["poll_id"]
isOneToOne: false
      referencedRelation: "polls"
      referencedColumns: ["id"]
    }
                  ]
                },"poll_votes": {
                  Row: {
                    "created_at": string,"option_id": string,"poll_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"option_id": string,"poll_id": string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"option_id"?: string,"poll_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "poll_votes_ballot"
      columns: ["poll_id","user_id"]
isOneToOne: false
      referencedRelation: "poll_ballots"
      referencedColumns: ["poll_id","user_id"]
    },{
      foreignKeyName: "poll_votes_option_in_poll"
      columns: ["poll_id","option_id"]
isOneToOne: false
      referencedRelation: "poll_options"
      referencedColumns: ["poll_id","id"]
    }
                  ]
                },"polls": {
                  Row: {
                    "closed_at": string | null,"created_at": string,"created_by": string | null,"id": string,"is_anonymous": boolean,"kind": string,"max_choices": number,"opened_at": string | null,"question": string,"results_visibility": string,"session_id": string,"status": string
                  }
                  ComputedFields: never
                  Insert: {
                    "closed_at"?: string | null,"created_at"?: string,"created_by"?: string | null,"id"?: string,"is_anonymous"?: boolean,"kind"?: string,"max_choices"?: number,"opened_at"?: string | null,"question": string,"results_visibility"?: string,"session_id": string,"status"?: string
                  }
                  Update: {
                    "closed_at"?: string | null,"created_at"?: string,"created_by"?: string | null,"id"?: string,"is_anonymous"?: boolean,"kind"?: string,"max_choices"?: number,"opened_at"?: string | null,"question"?: string,"results_visibility"?: string,"session_id"?: string,"status"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "polls_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "polls_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"profiles": {
                  Row: {
                    "avatar_url": string | null,"bio": string | null,"company": string | null,"created_at": string,"display_name": string,"id": string,"initials": string,"last_seen_at": string | null,"locale": string,"status": Database["public"]['Enums']["account_status"],"status_changed_at": string | null,"timezone": string,"title": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "avatar_url"?: string | null,"bio"?: string | null,"company"?: string | null,"created_at"?: string,"display_name": string,"id": string,"initials"?: string,"last_seen_at"?: string | null,"locale"?: string,"status"?: Database["public"]['Enums']["account_status"],"status_changed_at"?: string | null,"timezone"?: string,"title"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "avatar_url"?: string | null,"bio"?: string | null,"company"?: string | null,"created_at"?: string,"display_name"?: string,"id"?: string,"initials"?: string,"last_seen_at"?: string | null,"locale"?: string,"status"?: Database["public"]['Enums']["account_status"],"status_changed_at"?: string | null,"timezone"?: string,"title"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"programs": {
                  Row: {
                    "created_at": string,"created_by": string | null,"description": string | null,"id": string,"is_on_demand": boolean,"name": string,"replay_video_id": string | null,"status": string,"thumbnail_url": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"created_by"?: string | null,"description"?: string | null,"id"?: string,"is_on_demand"?: boolean,"name": string,"replay_video_id"?: string | null,"status"?: string,"thumbnail_url"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"created_by"?: string | null,"description"?: string | null,"id"?: string,"is_on_demand"?: boolean,"name"?: string,"replay_video_id"?: string | null,"status"?: string,"thumbnail_url"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"push_subscriptions": {
                  Row: {
                    "auth": string,"created_at": string,"disabled_at": string | null,"disabled_cause": string | null,"disabled_reason": string | null,"endpoint": string,"id": string,"last_used_at": string | null,"p256dh": string,"user_agent": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "auth": string,"created_at"?: string,"disabled_at"?: string | null,"disabled_cause"?: string | null,"disabled_reason"?: string | null,"endpoint": string,"id"?: string,"last_used_at"?: string | null,"p256dh": string,"user_agent"?: string | null,"user_id"?: string
                  }
                  Update: {
                    "auth"?: string,"created_at"?: string,"disabled_at"?: string | null,"disabled_cause"?: string | null,"disabled_reason"?: string | null,"endpoint"?: string,"id"?: string,"last_used_at"?: string | null,"p256dh"?: string,"user_agent"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"question_upvotes": {
                  Row: {
                    "created_at": string,"question_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"question_id": string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"question_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "question_upvotes_question_id_fkey"
      columns: ["question_id"]
isOneToOne: false
      referencedRelation: "questions"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "question_upvotes_question_id_fkey"
      columns: ["question_id"]
isOneToOne: false
      referencedRelation: "session_questions"
      referencedColumns: ["id"]
    }
                  ]
                },"questions": {
                  Row: {
                    "answer": string | null,"answered_at": string | null,"answered_by": string | null,"body": string,"client_id": string | null,"created_at": string,"id": string,"is_anonymous": boolean,"session_id": string,"status": string,"upvote_count": number,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "answer"?: string | null,"answered_at"?: string | null,"answered_by"?: string | null,"body": string,"client_id"?: string | null,"created_at"?: string,"id"?: string,"is_anonymous"?: boolean,"session_id": string,"status"?: string,"upvote_count"?: number,"user_id": string
                  }
                  Update: {
                    "answer"?: string | null,"answered_at"?: string | null,"answered_by"?: string | null,"body"?: string,"client_id"?: string | null,"created_at"?: string,"id"?: string,"is_anonymous"?: boolean,"session_id"?: string,"status"?: string,"upvote_count"?: number,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "questions_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "questions_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"resource_activity": {
                  Row: {
                    "counted": number,"first_at": string,"kind": string,"last_counted_at": string,"last_day": string,"previous_day": string | null,"resource_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "counted"?: number,"first_at"?: string,"kind": string,"last_counted_at"?: string,"last_day"?: string,"previous_day"?: string | null,"resource_id": string,"user_id": string
                  }
                  Update: {
                    "counted"?: number,"first_at"?: string,"kind"?: string,"last_counted_at"?: string,"last_day"?: string,"previous_day"?: string | null,"resource_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "resource_activity_resource_id_fkey"
      columns: ["resource_id"]
isOneToOne: false
      referencedRelation: "resources"
      referencedColumns: ["id"]
    }
                  ]
                },"resource_daily_stats": {
                  Row: {
                    "day": string,"downloads": number,"resource_id": string,"unique_downloaders": number,"unique_viewers": number,"views": number
                  }
                  ComputedFields: never
                  Insert: {
                    "day": string,"downloads"?: number,"resource_id": string,"unique_downloaders"?: number,"unique_viewers"?: number,"views"?: number
                  }
                  Update: {
                    "day"?: string,"downloads"?: number,"resource_id"?: string,"unique_downloaders"?: number,"unique_viewers"?: number,"views"?: number
                  }
                  Relationships: [
                    {
      foreignKeyName: "resource_daily_stats_resource_id_fkey"
      columns: ["resource_id"]
isOneToOne: false
      referencedRelation: "resources"
      referencedColumns: ["id"]
    }
                  ]
                },"resource_links": {
                  Row: {
                    "added_by": string | null,"created_at": string,"id": string,"program_id": string | null,"resource_id": string,"session_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "added_by"?: string | null,"created_at"?: string,"id"?: string,"program_id"?: string | null,"resource_id": string,"session_id"?: string | null
                  }
                  Update: {
                    "added_by"?: string | null,"created_at"?: string,"id"?: string,"program_id"?: string | null,"resource_id"?: string,"session_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "resource_links_program_id_fkey"
      columns: ["program_id"]
isOneToOne: false
      referencedRelation: "programs"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "resource_links_resource_id_fkey"
      columns: ["resource_id"]
isOneToOne: false
      referencedRelation: "resources"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "resource_links_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "resource_links_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"resources": {
                  Row: {
                    "author_id": string,"body": string | null,"created_at": string,"description": string | null,"duration_seconds": number | null,"external_url": string | null,"file_mime_type": string | null,"file_path": string | null,"file_size_bytes": number | null,"hidden_at": string | null,"hidden_by": string | null,"hidden_reason": string | null,"id": string,"kind": string,"language": string,"page_count": number | null,"published_at": string | null,"search_config": string | null,"search_title": string | null,"search_vector": unknown,"status": string,"tags": (string)[],"title": string,"updated_at": string,"visibility": string
                  }
                  ComputedFields: never
                  Insert: {
                    "author_id"?: string,"body"?: string | null,"created_at"?: string,"description"?: string | null,"duration_seconds"?: number | null,"external_url"?: string | null,"file_mime_type"?: string | null,"file_path"?: string | null,"file_size_bytes"?: number | null,"hidden_at"?: string | null,"hidden_by"?: string | null,"hidden_reason"?: string | null,"id"?: string,"kind": string,"language"?: string,"page_count"?: number | null,"published_at"?: string | null,"search_config"?: never,"search_title"?: never,"search_vector"?: never,"status"?: string,"tags"?: (string)[],"title": string,"updated_at"?: string,"visibility"?: string
                  }
                  Update: {
                    "author_id"?: string,"body"?: string | null,"created_at"?: string,"description"?: string | null,"duration_seconds"?: number | null,"external_url"?: string | null,"file_mime_type"?: string | null,"file_path"?: string | null,"file_size_bytes"?: number | null,"hidden_at"?: string | null,"hidden_by"?: string | null,"hidden_reason"?: string | null,"id"?: string,"kind"?: string,"language"?: string,"page_count"?: number | null,"published_at"?: string | null,"search_config"?: never,"search_title"?: never,"search_vector"?: never,"status"?: string,"tags"?: (string)[],"title"?: string,"updated_at"?: string,"visibility"?: string
                  }
                  Relationships: [
                    
                  ]
                },"room_assignments": {
                  Row: {
                    "created_at": string,"joined_at": string | null,"room_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"joined_at"?: string | null,"room_id": string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"joined_at"?: string | null,"room_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "room_assignments_room_id_fkey"
      columns: ["room_id"]
isOneToOne: false
      referencedRelation: "rooms"
      referencedColumns: ["id"]
    }
                  ]
                },"rooms": {
                  Row: {
                    "capacity": number | null,"closes_at": string | null,"created_at": string,"id": string,"is_main_stage": boolean,"name": string,"self_select": boolean,"session_id": string,"speaker": string | null,"status": string,"thumbnail_url": string | null,"topic": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "capacity"?: number | null,"closes_at"?: string | null,"created_at"?: string,"id"?: string,"is_main_stage"?: boolean,"name": string,"self_select"?: boolean,"session_id": string,"speaker"?: string | null,"status"?: string,"thumbnail_url"?: string | null,"topic"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "capacity"?: number | null,"closes_at"?: string | null,"created_at"?: string,"id"?: string,"is_main_stage"?: boolean,"name"?: string,"self_select"?: boolean,"session_id"?: string,"speaker"?: string | null,"status"?: string,"thumbnail_url"?: string | null,"topic"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "rooms_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "rooms_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"session_bans": {
                  Row: {
                    "banned_by": string | null,"created_at": string,"reason": string | null,"session_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "banned_by"?: string | null,"created_at"?: string,"reason"?: string | null,"session_id": string,"user_id": string
                  }
                  Update: {
                    "banned_by"?: string | null,"created_at"?: string,"reason"?: string | null,"session_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "session_bans_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "session_bans_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"session_notes": {
                  Row: {
                    "author_id": string,"body": string,"created_at": string,"id": string,"session_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "author_id"?: string,"body": string,"created_at"?: string,"id"?: string,"session_id": string,"updated_at"?: string
                  }
                  Update: {
                    "author_id"?: string,"body"?: string,"created_at"?: string,"id"?: string,"session_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "session_notes_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "session_notes_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"session_reminders": {
                  Row: {
                    "created_at": string,"due_at": string,"id": string,"minutes_before": number,"notified_at": string | null,"session_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"due_at": string,"id"?: string,"minutes_before"?: number,"notified_at"?: string | null,"session_id": string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"due_at"?: string,"id"?: string,"minutes_before"?: number,"notified_at"?: string | null,"session_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "session_reminders_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "session_reminders_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"session_secrets": {
                  Row: {
                    "created_at": string,"meeting_password": string | null,"meeting_url": string | null,"session_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"meeting_password"?: string | null,"meeting_url"?: string | null,"session_id": string,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"meeting_password"?: string | null,"meeting_url"?: string | null,"session_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "session_secrets_session_id_fkey"
      columns: ["session_id"]
isOneToOne: true
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "session_secrets_session_id_fkey"
      columns: ["session_id"]
isOneToOne: true
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"session_staff": {
                  Row: {
                    "created_at": string,"role": string,"session_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"role": string,"session_id": string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"role"?: string,"session_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "session_staff_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "session_staff_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"session_viewer_stats": {
                  Row: {
                    "last_broadcast_at": string,"last_broadcast_count": number | null,"last_checked_at": string,"peak_at": string | null,"peak_viewers": number,"session_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "last_broadcast_at"?: string,"last_broadcast_count"?: number | null,"last_checked_at"?: string,"peak_at"?: string | null,"peak_viewers"?: number,"session_id": string
                  }
                  Update: {
                    "last_broadcast_at"?: string,"last_broadcast_count"?: number | null,"last_checked_at"?: string,"peak_at"?: string | null,"peak_viewers"?: number,"session_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "session_viewer_stats_session_id_fkey"
      columns: ["session_id"]
isOneToOne: true
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "session_viewer_stats_session_id_fkey"
      columns: ["session_id"]
isOneToOne: true
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"sessions": {
                  Row: {
                    "allow_anonymous_questions": boolean,"cancel_reason": string | null,"capacity": number | null,"chat_enabled": boolean,"chat_rate_limit": number,"created_at": string,"created_by": string | null,"currency": string,"description": string | null,"duration_minutes": number,"ended_at": string | null,"event_id": string | null,"id": string,"kind": string,"phase": number | null,"price_cents": number,"program_id": string | null,"qa_moderation": boolean,"replay_url": string | null,"sequence": number,"slow_mode_seconds": number,"started_at": string | null,"starts_at": string,"status": string,"thumbnail_url": string | null,"timezone": string,"title": string,"topic": string | null,"updated_at": string,"visibility": string,"waitlist_enabled": boolean
                  }
                  ComputedFields: never
                  Insert: {
                    "allow_anonymous_questions"?: boolean,"cancel_reason"?: string | null,"capacity"?: number | null,"chat_enabled"?: boolean,"chat_rate_limit"?: number,"created_at"?: string,"created_by"?: string | null,"currency"?: string,"description"?: string | null,"duration_minutes"?: number,"ended_at"?: string | null,"event_id"?: string | null,"id"?: string,"kind"?: string,"phase"?: number | null,"price_cents"?: number,"program_id"?: string | null,"qa_moderation"?: boolean,"replay_url"?: string | null,"sequence"?: number,"slow_mode_seconds"?: number,"started_at"?: string | null,"starts_at": string,"status"?: string,"thumbnail_url"?: string | null,"timezone"?: string,"title": string,"topic"?: string | null,"updated_at"?: string,"visibility"?: string,"waitlist_enabled"?: boolean
                  }
                  Update: {
                    "allow_anonymous_questions"?: boolean,"cancel_reason"?: string | null,"capacity"?: number | null,"chat_enabled"?: boolean,"chat_rate_limit"?: number,"created_at"?: string,"created_by"?: string | null,"currency"?: string,"description"?: string | null,"duration_minutes"?: number,"ended_at"?: string | null,"event_id"?: string | null,"id"?: string,"kind"?: string,"phase"?: number | null,"price_cents"?: number,"program_id"?: string | null,"qa_moderation"?: boolean,"replay_url"?: string | null,"sequence"?: number,"slow_mode_seconds"?: number,"started_at"?: string | null,"starts_at"?: string,"status"?: string,"thumbnail_url"?: string | null,"timezone"?: string,"title"?: string,"topic"?: string | null,"updated_at"?: string,"visibility"?: string,"waitlist_enabled"?: boolean
                  }
                  Relationships: [
                    {
      foreignKeyName: "sessions_event_in_program"
      columns: ["event_id","program_id"]
isOneToOne: false
      referencedRelation: "events"
      referencedColumns: ["id","program_id"]
    },{
      foreignKeyName: "sessions_program_id_fkey"
      columns: ["program_id"]
isOneToOne: false
      referencedRelation: "programs"
      referencedColumns: ["id"]
    }
                  ]
                },"streams": {
                  Row: {
                    "created_at": string,"id": string,"session_id": string,"source_type": string,"source_url": string,"status": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: string,"session_id": string,"source_type": string,"source_url": string,"status"?: string,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"id"?: string,"session_id"?: string,"source_type"?: string,"source_url"?: string,"status"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "streams_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "streams_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"support_tickets": {
                  Row: {
                    "assigned_to": string | null,"awaiting_response_since": string | null,"booking_id": string | null,"category": string,"closed_at": string | null,"created_at": string,"first_response_at": string | null,"id": string,"last_message_at": string,"priority": Database["public"]['Enums']["ticket_priority"],"resolved_at": string | null,"response_due_at": string | null,"session_id": string | null,"status": Database["public"]['Enums']["ticket_status"],"subject": string,"updated_at": string,"user_id": string,"overdue": boolean | null
                  }
                  ComputedFields: "overdue"
                  Insert: {
                    "assigned_to"?: string | null,"awaiting_response_since"?: string | null,"booking_id"?: string | null,"category"?: string,"closed_at"?: string | null,"created_at"?: string,"first_response_at"?: string | null,"id"?: string,"last_message_at"?: string,"priority"?: Database["public"]['Enums']["ticket_priority"],"resolved_at"?: string | null,"response_due_at"?: string | null,"session_id"?: string | null,"status"?: Database["public"]['Enums']["ticket_status"],"subject": string,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "assigned_to"?: string | null,"awaiting_response_since"?: string | null,"booking_id"?: string | null,"category"?: string,"closed_at"?: string | null,"created_at"?: string,"first_response_at"?: string | null,"id"?: string,"last_message_at"?: string,"priority"?: Database["public"]['Enums']["ticket_priority"],"resolved_at"?: string | null,"response_due_at"?: string | null,"session_id"?: string | null,"status"?: Database["public"]['Enums']["ticket_status"],"subject"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "support_tickets_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: false
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "support_tickets_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "support_tickets_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"survey_fields": {
                  Row: {
                    "id": string,"kind": string,"options": NonNullable<Json>,"position": number,"prompt": string,"required": boolean,"survey_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "id"?: string,"kind": string,"options"?: NonNullable<Json>,"position": number,"prompt": string,"required"?: boolean,"survey_id": string
                  }
                  Update: {
                    "id"?: string,"kind"?: string,"options"?: NonNullable<Json>,"position"?: number,"prompt"?: string,"required"?: boolean,"survey_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "survey_fields_survey_id_fkey"
      columns: ["survey_id"]
isOneToOne: false
      referencedRelation: "surveys"
      referencedColumns: ["id"]
    }
                  ]
                },"survey_responses": {
                  Row: {
                    "answers": NonNullable<Json>,"created_at": string,"id": string,"survey_id": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "answers": NonNullable<Json>,"created_at"?: string,"id"?: string,"survey_id": string,"user_id": string
                  }
                  Update: {
                    "answers"?: NonNullable<Json>,"created_at"?: string,"id"?: string,"survey_id"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "survey_responses_survey_id_fkey"
      columns: ["survey_id"]
isOneToOne: false
      referencedRelation: "surveys"
      referencedColumns: ["id"]
    }
                  ]
                },"surveys": {
                  Row: {
                    "created_at": string,"created_by": string | null,"id": string,"is_anonymous": boolean,"session_id": string,"status": string,"title": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"created_by"?: string | null,"id"?: string,"is_anonymous"?: boolean,"session_id": string,"status"?: string,"title": string
                  }
                  Update: {
                    "created_at"?: string,"created_by"?: string | null,"id"?: string,"is_anonymous"?: boolean,"session_id"?: string,"status"?: string,"title"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "surveys_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "surveys_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                },"ticket_messages": {
                  Row: {
                    "author_id": string | null,"body": string,"created_at": string,"id": string,"is_internal": boolean,"ticket_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "author_id"?: string | null,"body": string,"created_at"?: string,"id"?: string,"is_internal"?: boolean,"ticket_id": string
                  }
                  Update: {
                    "author_id"?: string | null,"body"?: string,"created_at"?: string,"id"?: string,"is_internal"?: boolean,"ticket_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "ticket_messages_ticket_id_fkey"
      columns: ["ticket_id"]
isOneToOne: false
      referencedRelation: "support_tickets"
      referencedColumns: ["id"]
    }
                  ]
                },"user_roles": {
                  Row: {
                    "granted_by": string | null,"role": Database["public"]['Enums']["app_role"],"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "granted_by"?: string | null,"role"?: Database["public"]['Enums']["app_role"],"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "granted_by"?: string | null,"role"?: Database["public"]['Enums']["app_role"],"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                }
          }
          Views: {
            "my_conversations": {
                  Row: {
                    "created_at": string,"id": string,"kind": string,"last_message_at": string | null,"last_message_body": string | null,"last_message_display_name": string | null,"last_message_id": string | null,"last_message_user_id": string | null,"last_read_at": string,"member_count": number | null,"my_role": string,"other_members": Json | null,"title": string | null,"unread_count": number | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                },"my_notification_preferences": {
                  Row: {
                    "customized": boolean | null,"email": boolean | null,"email_digest": boolean,"in_app": boolean | null,"kind": string,"push": boolean | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                },"replays": {
                  Row: {
                    "description": string | null,"ended_at": string | null,"event_id": string | null,"host_name": string | null,"program_id": string | null,"program_is_on_demand": boolean | null,"program_name": string | null,"program_replay_video_id": string | null,"replay_url": string | null,"session_id": string | null,"started_at": string | null,"starts_at": string | null,"thumbnail_url": string | null,"title": string | null,"topic": string | null,"visibility": string | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                },"session_cards": {
                  Row: {
                    "booked_count": number | null,"can_edit": boolean | null,"can_join": boolean | null,"capacity": number | null,"currency": string,"description": string | null,"duration_minutes": number,"ends_at": string | null,"event_id": string | null,"has_reminder": boolean | null,"host_id": string | null,"host_name": string | null,"id": string,"my_booking_status": string | null,"phase": number | null,"price_cents": number,"program_id": string | null,"seats_left": number | null,"starts_at": string,"status": string,"thumbnail_url": string | null,"timezone": string,"title": string,"topic": string | null,"viewer_count": number | null,"visibility": string,"waitlist_enabled": boolean
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "sessions_event_in_program"
      columns: ["event_id","program_id"]
isOneToOne: false
      referencedRelation: "events"
      referencedColumns: ["id","program_id"]
    },{
      foreignKeyName: "sessions_program_id_fkey"
      columns: ["program_id"]
isOneToOne: false
      referencedRelation: "programs"
      referencedColumns: ["id"]
    }
                  ]
                },"session_materials": {
                  Row: {
                    "added_at": string | null,"added_by": string | null,"attached_to": string | null,"author_id": string | null,"description": string | null,"duration_seconds": number | null,"external_url": string | null,"file_mime_type": string | null,"file_path": string | null,"file_size_bytes": number | null,"kind": string | null,"language": string | null,"link_id": string | null,"page_count": number | null,"resource_id": string | null,"session_id": string | null,"status": string | null,"tags": (string)[] | null,"title": string | null,"visibility": string | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                },"session_questions": {
                  Row: {
                    "answer": string | null,"answered_at": string | null,"answered_by": string | null,"author_id": string | null,"author_name": string | null,"body": string,"created_at": string,"has_upvoted": boolean | null,"id": string,"is_anonymous": boolean,"is_mine": boolean | null,"session_id": string,"status": string,"upvote_count": number
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "questions_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "session_cards"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "questions_session_id_fkey"
      columns: ["session_id"]
isOneToOne: false
      referencedRelation: "sessions"
      referencedColumns: ["id"]
    }
                  ]
                }
          }
          Functions: {
            "add_session_staff":
{ Args: { "role": string,"session_id": string,"user_id": string }; Returns: {
              "created_at": string,
"role": string,
"session_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "session_staff"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_stats":
{ Args: { "bucket"?: string,"from": string,"time_zone"?: string,"to": string }; Returns: Json
                           },
"apply_as_coach":
{ Args: { "motivation": string }; Returns: {
              "created_at": string,
"id": string,
"motivation": string,
"review_note": string | null,
"reviewed_at": string | null,
"reviewed_by": string | null,
"status": Database["public"]['Enums']["coach_application_status"],
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "coach_applications"
        isOneToOne: true
        isSetofReturn: false
      } },
"ask_question":
{ Args: { "anonymous"?: boolean,"body": string,"client_id"?: string,"session_id": string }; Returns: Json
                           },
"assign_room":
{ Args: { "room_id": string,"user_id": string }; Returns: {
              "created_at": string,
"joined_at": string | null,
"room_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_assignments"
        isOneToOne: true
        isSetofReturn: false
      } },
"assign_rooms_randomly":
{ Args: { "session_id": string }; Returns: Json
                           },
"assign_support_ticket":
{ Args: { "assignee_id": string,"ticket_id": string }; Returns: {
              "assigned_to": string | null,
"awaiting_response_since": string | null,
"booking_id": string | null,
"category": string,
"closed_at": string | null,
"created_at": string,
"first_response_at": string | null,
"id": string,
"last_message_at": string,
"priority": Database["public"]['Enums']["ticket_priority"],
"resolved_at": string | null,
"response_due_at": string | null,
"session_id": string | null,
"status": Database["public"]['Enums']["ticket_status"],
"subject": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "support_tickets"
        isOneToOne: true
        isSetofReturn: false
      } },
"available_slots":
{ Args: { "coach_id": string,"from": string,"to": string }; Returns: {
              "ends_at": string,"starts_at": string
            }[]
                           },
"ban_user":
{ Args: { "reason"?: string,"session_id": string,"user_id": string }; Returns: {
              "banned_by": string | null,
"created_at": string,
"reason": string | null,
"session_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "session_bans"
        isOneToOne: true
        isSetofReturn: false
      } },
"book_session":
{ Args: { "session_id": string }; Returns: {
              "cancelled_at": string | null,
"created_at": string,
"default_reminders_pending": boolean,
"id": string,
"no_show_at": string | null,
"session_id": string,
"status": string,
"updated_at": string,
"user_id": string,
"waitlist_position": number | null
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"book_slot":
{ Args: { "coach_id": string,"starts_at": string,"topic"?: string }; Returns: {
              "cancelled_at": string | null,
"created_at": string,
"default_reminders_pending": boolean,
"id": string,
"no_show_at": string | null,
"session_id": string,
"status": string,
"updated_at": string,
"user_id": string,
"waitlist_position": number | null
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"calendar_feed_events":
{ Args: { "token": string }; Returns: {
              "booking_status": string,"description": string,"duration_minutes": number,"host_name": string,"link": string,"reminder_minutes": (number)[],"sequence": number,"session_id": string,"starts_at": string,"status": string,"timezone": string,"title": string,"updated_at": string
            }[]
                           },
"calendar_feed_is_active":
{ Args: { "token": string }; Returns: boolean
                           },
"cancel_booking":
{ Args: { "session_id": string }; Returns: {
              "cancelled_at": string | null,
"created_at": string,
"default_reminders_pending": boolean,
"id": string,
"no_show_at": string | null,
"session_id": string,
"status": string,
"updated_at": string,
"user_id": string,
"waitlist_position": number | null
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"cancel_session":
{ Args: { "reason"?: string,"session_id": string }; Returns: {
              "allow_anonymous_questions": boolean,
"cancel_reason": string | null,
"capacity": number | null,
"chat_enabled": boolean,
"chat_rate_limit": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string | null,
"duration_minutes": number,
"ended_at": string | null,
"event_id": string | null,
"id": string,
"kind": string,
"phase": number | null,
"price_cents": number,
"program_id": string | null,
"qa_moderation": boolean,
"replay_url": string | null,
"sequence": number,
"slow_mode_seconds": number,
"started_at": string | null,
"starts_at": string,
"status": string,
"thumbnail_url": string | null,
"timezone": string,
"title": string,
"topic": string | null,
"updated_at": string,
"visibility": string,
"waitlist_enabled": boolean
            }
                          SetofOptions: {
        from: "*"
        to: "sessions"
        isOneToOne: true
        isSetofReturn: false
      } },
"chat_history":
{ Args: { "before"?: string,"before_id"?: string,"limit"?: number,"session_id": string }; Returns: Json
                           },
"chat_since":
{ Args: { "after_id": string,"session_id": string }; Returns: Json
                           },
"close_breakout_rooms":
{ Args: { "session_id": string }; Returns: number
                           },
"close_poll":
{ Args: { "poll_id": string }; Returns: Json
                           },
"close_survey":
{ Args: { "survey_id": string }; Returns: Json
                           },
"complete_session":
{ Args: { "session_id": string }; Returns: {
              "allow_anonymous_questions": boolean,
"cancel_reason": string | null,
"capacity": number | null,
"chat_enabled": boolean,
"chat_rate_limit": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string | null,
"duration_minutes": number,
"ended_at": string | null,
"event_id": string | null,
"id": string,
"kind": string,
"phase": number | null,
"price_cents": number,
"program_id": string | null,
"qa_moderation": boolean,
"replay_url": string | null,
"sequence": number,
"slow_mode_seconds": number,
"started_at": string | null,
"starts_at": string,
"status": string,
"thumbnail_url": string | null,
"timezone": string,
"title": string,
"topic": string | null,
"updated_at": string,
"visibility": string,
"waitlist_enabled": boolean
            }
                          SetofOptions: {
        from: "*"
        to: "sessions"
        isOneToOne: true
        isSetofReturn: false
      } },
"create_calendar_feed":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"create_poll":
{ Args: { "is_anonymous"?: boolean,"kind"?: string,"max_choices"?: number,"options": (string)[],"question": string,"results_visibility"?: string,"session_id": string }; Returns: Json
                           },
"create_survey":
{ Args: { "anonymous"?: boolean,"fields": Json,"session_id": string,"title": string }; Returns: Json
                           },
"custom_access_token_hook":
{ Args: { "event": Json }; Returns: Json
                           },
"deactivate_user":
{ Args: { "reason"?: string,"user_id": string }; Returns: {
              "avatar_url": string | null,
"bio": string | null,
"company": string | null,
"created_at": string,
"display_name": string,
"id": string,
"initials": string,
"last_seen_at": string | null,
"locale": string,
"status": Database["public"]['Enums']["account_status"],
"status_changed_at": string | null,
"timezone": string,
"title": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "profiles"
        isOneToOne: true
        isSetofReturn: false
      } },
"delete_message":
{ Args: { "message_id": string }; Returns: {
              "body": string,
"client_id": string | null,
"created_at": string,
"deleted_at": string | null,
"deleted_by": string | null,
"id": string,
"is_pinned": boolean,
"kind": string,
"pinned_at": string | null,
"room_id": string | null,
"session_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "chat_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"delete_my_account":
{ Args: Record<PropertyKey, never>; Returns: {
              "avatar_url": string | null,
"bio": string | null,
"company": string | null,
"created_at": string,
"display_name": string,
"id": string,
"initials": string,
"last_seen_at": string | null,
"locale": string,
"status": Database["public"]['Enums']["account_status"],
"status_changed_at": string | null,
"timezone": string,
"title": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "profiles"
        isOneToOne: true
        isSetofReturn: false
      } },
"delete_user":
{ Args: { "user_id": string }; Returns: {
              "avatar_url": string | null,
"bio": string | null,
"company": string | null,
"created_at": string,
"display_name": string,
"id": string,
"initials": string,
"last_seen_at": string | null,
"locale": string,
"status": Database["public"]['Enums']["account_status"],
"status_changed_at": string | null,
"timezone": string,
"title": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "profiles"
        isOneToOne: true
        isSetofReturn: false
      } },
"end_session":
{ Args: { "session_id": string }; Returns: {
              "allow_anonymous_questions": boolean,
"cancel_reason": string | null,
"capacity": number | null,
"chat_enabled": boolean,
"chat_rate_limit": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string | null,
"duration_minutes": number,
"ended_at": string | null,
"event_id": string | null,
"id": string,
"kind": string,
"phase": number | null,
"price_cents": number,
"program_id": string | null,
"qa_moderation": boolean,
"replay_url": string | null,
"sequence": number,
"slow_mode_seconds": number,
"started_at": string | null,
"starts_at": string,
"status": string,
"thumbnail_url": string | null,
"timezone": string,
"title": string,
"topic": string | null,
"updated_at": string,
"visibility": string,
"waitlist_enabled": boolean
            }
                          SetofOptions: {
        from: "*"
        to: "sessions"
        isOneToOne: true
        isSetofReturn: false
      } },
"event_attendance_report":
{ Args: { "event_id": string }; Returns: {
              "attended_minutes": number,"attended_seconds": number,"display_name": string,"engagement_score": number,"first_joined_at": string,"last_left_at": string,"sessions": Json,"sessions_attended": number,"sessions_live": number,"user_id": string
            }[]
                           },
"heartbeat":
{ Args: { "connection_id"?: string,"session_id": string }; Returns: Json
                           },
"hide_resource":
{ Args: { "reason": string,"resource_id": string }; Returns: {
              "author_id": string,
"body": string | null,
"created_at": string,
"description": string | null,
"duration_seconds": number | null,
"external_url": string | null,
"file_mime_type": string | null,
"file_path": string | null,
"file_size_bytes": number | null,
"hidden_at": string | null,
"hidden_by": string | null,
"hidden_reason": string | null,
"id": string,
"kind": string,
"language": string,
"page_count": number | null,
"published_at": string | null,
"search_config": string | null,
"search_title": string | null,
"search_vector": unknown,
"status": string,
"tags": (string)[],
"title": string,
"updated_at": string,
"visibility": string
            }
                          SetofOptions: {
        from: "*"
        to: "resources"
        isOneToOne: true
        isSetofReturn: false
      } },
"increment_upvotes":
{ Args: { "question_id": string }; Returns: number
                           },
"jitsi_access":
{ Args: { "session_id": string }; Returns: Json
                           },
"join_room":
{ Args: { "room_id": string }; Returns: {
              "created_at": string,
"joined_at": string | null,
"room_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_assignments"
        isOneToOne: true
        isSetofReturn: false
      } },
"join_session":
{ Args: { "connection_id"?: string,"session_id": string }; Returns: Json
                           },
"leave_session":
{ Args: { "connection_id"?: string,"session_id": string }; Returns: Json
                           },
"mark_conversation_read":
{ Args: { "conversation_id": string }; Returns: {
              "conversation_id": string,
"joined_at": string,
"last_read_at": string,
"role": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "conversation_members"
        isOneToOne: true
        isSetofReturn: false
      } },
"mark_no_show":
{ Args: { "booking_id": string }; Returns: {
              "cancelled_at": string | null,
"created_at": string,
"default_reminders_pending": boolean,
"id": string,
"no_show_at": string | null,
"session_id": string,
"status": string,
"updated_at": string,
"user_id": string,
"waitlist_position": number | null
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"mark_notifications_read":
{ Args: { "notification_ids"?: (string)[] }; Returns: number
                           },
"moderate_question":
{ Args: { "answer"?: string,"question_id": string,"status": string }; Returns: Json
                           },
"my_appointments":
{ Args: Record<PropertyKey, never>; Returns: {
              "booking_id": string,"cancelled_at": string,"coach_id": string,"coach_name": string,"ended_at": string,"ends_at": string,"no_show_at": string,"patient_id": string,"patient_name": string,"sequence": number,"session_id": string,"starts_at": string,"status": string,"timezone": string,"topic": string
            }[]
                           },
"open_breakout_rooms":
{ Args: { "capacity"?: number,"closes_at"?: string,"names": (string)[],"self_select"?: boolean,"session_id": string }; Returns: {
              "capacity": number | null,
"closes_at": string | null,
"created_at": string,
"id": string,
"is_main_stage": boolean,
"name": string,
"self_select": boolean,
"session_id": string,
"speaker": string | null,
"status": string,
"thumbnail_url": string | null,
"topic": string | null,
"updated_at": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "rooms"
        isOneToOne: false
        isSetofReturn: true
      } },
"open_poll":
{ Args: { "poll_id": string }; Returns: Json
                           },
"open_support_ticket":
{ Args: { "body": string,"booking_id"?: string,"category"?: string,"session_id"?: string,"subject": string }; Returns: {
              "assigned_to": string | null,
"awaiting_response_since": string | null,
"booking_id": string | null,
"category": string,
"closed_at": string | null,
"created_at": string,
"first_response_at": string | null,
"id": string,
"last_message_at": string,
"priority": Database["public"]['Enums']["ticket_priority"],
"resolved_at": string | null,
"response_due_at": string | null,
"session_id": string | null,
"status": Database["public"]['Enums']["ticket_status"],
"subject": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "support_tickets"
        isOneToOne: true
        isSetofReturn: false
      } },
"open_survey":
{ Args: { "survey_id": string }; Returns: Json
                           },
"overdue":
{ Args: { "ticket": Omit<Database["public"]['Tables']["support_tickets"]['Row'], Database["public"]['Tables']["support_tickets"]['ComputedFields']> }; Returns: boolean
                           },
"pin_message":
{ Args: { "message_id": string,"pinned": boolean }; Returns: {
              "body": string,
"client_id": string | null,
"created_at": string,
"deleted_at": string | null,
"deleted_by": string | null,
"id": string,
"is_pinned": boolean,
"kind": string,
"pinned_at": string | null,
"room_id": string | null,
"session_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "chat_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"poll_results":
{ Args: { "poll_id": string }; Returns: {
              "label": string,"option_id": string,"position": number,"share": number,"voters": number,"votes": number
            }[]
                           },
"publish_session":
{ Args: { "session_id": string }; Returns: {
              "allow_anonymous_questions": boolean,
"cancel_reason": string | null,
"capacity": number | null,
"chat_enabled": boolean,
"chat_rate_limit": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string | null,
"duration_minutes": number,
"ended_at": string | null,
"event_id": string | null,
"id": string,
"kind": string,
"phase": number | null,
"price_cents": number,
"program_id": string | null,
"qa_moderation": boolean,
"replay_url": string | null,
"sequence": number,
"slow_mode_seconds": number,
"started_at": string | null,
"starts_at": string,
"status": string,
"thumbnail_url": string | null,
"timezone": string,
"title": string,
"topic": string | null,
"updated_at": string,
"visibility": string,
"waitlist_enabled": boolean
            }
                          SetofOptions: {
        from: "*"
        to: "sessions"
        isOneToOne: true
        isSetofReturn: false
      } },
"reactivate_user":
{ Args: { "user_id": string }; Returns: {
              "avatar_url": string | null,
"bio": string | null,
"company": string | null,
"created_at": string,
"display_name": string,
"id": string,
"initials": string,
"last_seen_at": string | null,
"locale": string,
"status": Database["public"]['Enums']["account_status"],
"status_changed_at": string | null,
"timezone": string,
"title": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "profiles"
        isOneToOne: true
        isSetofReturn: false
      } },
"recommended_resources":
{ Args: { "limit"?: number }; Returns: Database["public"]['CompositeTypes']["resource_recommendation"][]
                          SetofOptions: {
        from: "*"
        to: "resource_recommendation"
        isOneToOne: false
        isSetofReturn: true
      } },
"register_push_subscription":
{ Args: { "auth_key": string,"endpoint": string,"p256dh": string,"user_agent"?: string }; Returns: {
              "auth": string,
"created_at": string,
"disabled_at": string | null,
"disabled_cause": string | null,
"disabled_reason": string | null,
"endpoint": string,
"id": string,
"last_used_at": string | null,
"p256dh": string,
"user_agent": string | null,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "push_subscriptions"
        isOneToOne: true
        isSetofReturn: false
      } },
"remove_session_staff":
{ Args: { "session_id": string,"user_id": string }; Returns: {
              "created_at": string,
"role": string,
"session_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "session_staff"
        isOneToOne: true
        isSetofReturn: false
      } },
"reply_to_support_ticket":
{ Args: { "body": string,"internal"?: boolean,"ticket_id": string }; Returns: {
              "author_id": string | null,
"body": string,
"created_at": string,
"id": string,
"is_internal": boolean,
"ticket_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "ticket_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"reschedule_booking":
{ Args: { "booking_id": string,"new_starts_at": string }; Returns: {
              "allow_anonymous_questions": boolean,
"cancel_reason": string | null,
"capacity": number | null,
"chat_enabled": boolean,
"chat_rate_limit": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string | null,
"duration_minutes": number,
"ended_at": string | null,
"event_id": string | null,
"id": string,
"kind": string,
"phase": number | null,
"price_cents": number,
"program_id": string | null,
"qa_moderation": boolean,
"replay_url": string | null,
"sequence": number,
"slow_mode_seconds": number,
"started_at": string | null,
"starts_at": string,
"status": string,
"thumbnail_url": string | null,
"timezone": string,
"title": string,
"topic": string | null,
"updated_at": string,
"visibility": string,
"waitlist_enabled": boolean
            }
                          SetofOptions: {
        from: "*"
        to: "sessions"
        isOneToOne: true
        isSetofReturn: false
      } },
"reschedule_session":
{ Args: { "duration_minutes"?: number,"session_id": string,"starts_at": string }; Returns: {
              "allow_anonymous_questions": boolean,
"cancel_reason": string | null,
"capacity": number | null,
"chat_enabled": boolean,
"chat_rate_limit": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string | null,
"duration_minutes": number,
"ended_at": string | null,
"event_id": string | null,
"id": string,
"kind": string,
"phase": number | null,
"price_cents": number,
"program_id": string | null,
"qa_moderation": boolean,
"replay_url": string | null,
"sequence": number,
"slow_mode_seconds": number,
"started_at": string | null,
"starts_at": string,
"status": string,
"thumbnail_url": string | null,
"timezone": string,
"title": string,
"topic": string | null,
"updated_at": string,
"visibility": string,
"waitlist_enabled": boolean
            }
                          SetofOptions: {
        from: "*"
        to: "sessions"
        isOneToOne: true
        isSetofReturn: false
      } },
"resource_stats":
{ Args: { "days"?: number,"resource_id": string }; Returns: Json
                           },
"review_coach_application":
{ Args: { "application_id": string,"approve": boolean,"note"?: string }; Returns: {
              "created_at": string,
"id": string,
"motivation": string,
"review_note": string | null,
"reviewed_at": string | null,
"reviewed_by": string | null,
"status": Database["public"]['Enums']["coach_application_status"],
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "coach_applications"
        isOneToOne: true
        isSetofReturn: false
      } },
"revoke_calendar_feed":
{ Args: Record<PropertyKey, never>; Returns: boolean
                           },
"search_resources":
{ Args: { "kinds"?: (string)[],"language"?: string,"limit"?: number,"offset"?: number,"query"?: string,"tags"?: (string)[] }; Returns: Database["public"]['CompositeTypes']["resource_search_hit"][]
                          SetofOptions: {
        from: "*"
        to: "resource_search_hit"
        isOneToOne: false
        isSetofReturn: true
      } },
"send_announcement":
{ Args: { "body": string,"scope": string,"title": string }; Returns: {
              "body": string,
"completed_at": string | null,
"created_at": string,
"created_by": string | null,
"id": string,
"last_recipient_id": string | null,
"program_id": string | null,
"recipients_done": number,
"scope": string,
"status": string,
"title": string
            }
                          SetofOptions: {
        from: "*"
        to: "announcements"
        isOneToOne: true
        isSetofReturn: false
      } },
"send_chat_message":
{ Args: { "body": string,"client_id"?: string,"kind"?: string,"room_id"?: string,"session_id": string }; Returns: {
              "body": string,
"client_id": string | null,
"created_at": string,
"deleted_at": string | null,
"deleted_by": string | null,
"id": string,
"is_pinned": boolean,
"kind": string,
"pinned_at": string | null,
"room_id": string | null,
"session_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "chat_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"send_direct_message":
{ Args: { "body": string,"client_id"?: string,"conversation_id": string }; Returns: {
              "body": string,
"client_id": string | null,
"conversation_id": string,
"created_at": string,
"deleted_at": string | null,
"edited_at": string | null,
"id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "direct_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"session_attendance_report":
{ Args: { "session_id": string }; Returns: {
              "attended_seconds": number,"display_name": string,"engagement_score": number,"first_joined_at": string,"last_left_at": string,"messages": number,"poll_answers": number,"questions": number,"survey_done": boolean,"upvotes": number,"user_id": string
            }[]
                           },
"session_meeting_details":
{ Args: { "session_id": string }; Returns: Json
                           },
"session_metrics":
{ Args: { "session_id": string }; Returns: Json
                           },
"set_notification_preference":
{ Args: { "email"?: boolean,"in_app"?: boolean,"kind": string,"push"?: boolean }; Returns: {
              "customized": boolean | null,
"email": boolean | null,
"email_digest": boolean,
"in_app": boolean | null,
"kind": string,
"push": boolean | null
            }
                          SetofOptions: {
        from: "*"
        to: "my_notification_preferences"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_reminder":
{ Args: { "minutes_before"?: number,"session_id": string }; Returns: {
              "created_at": string,
"due_at": string,
"id": string,
"minutes_before": number,
"notified_at": string | null,
"session_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "session_reminders"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_support_ticket_priority":
{ Args: { "priority": Database["public"]['Enums']["ticket_priority"],"ticket_id": string }; Returns: {
              "assigned_to": string | null,
"awaiting_response_since": string | null,
"booking_id": string | null,
"category": string,
"closed_at": string | null,
"created_at": string,
"first_response_at": string | null,
"id": string,
"last_message_at": string,
"priority": Database["public"]['Enums']["ticket_priority"],
"resolved_at": string | null,
"response_due_at": string | null,
"session_id": string | null,
"status": Database["public"]['Enums']["ticket_status"],
"subject": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "support_tickets"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_support_ticket_status":
{ Args: { "status": Database["public"]['Enums']["ticket_status"],"ticket_id": string }; Returns: {
              "assigned_to": string | null,
"awaiting_response_since": string | null,
"booking_id": string | null,
"category": string,
"closed_at": string | null,
"created_at": string,
"first_response_at": string | null,
"id": string,
"last_message_at": string,
"priority": Database["public"]['Enums']["ticket_priority"],
"resolved_at": string | null,
"response_due_at": string | null,
"session_id": string | null,
"status": Database["public"]['Enums']["ticket_status"],
"subject": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "support_tickets"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_user_role":
{ Args: { "role": Database["public"]['Enums']["app_role"],"user_id": string }; Returns: {
              "granted_by": string | null,
"role": Database["public"]['Enums']["app_role"],
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "user_roles"
        isOneToOne: true
        isSetofReturn: false
      } },
"start_conversation":
{ Args: { "title"?: string,"user_ids": (string)[] }; Returns: {
              "created_at": string,
"created_by": string | null,
"id": string,
"kind": string,
"last_message_at": string | null,
"title": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "conversations"
        isOneToOne: true
        isSetofReturn: false
      } },
"start_session":
{ Args: { "session_id": string }; Returns: {
              "allow_anonymous_questions": boolean,
"cancel_reason": string | null,
"capacity": number | null,
"chat_enabled": boolean,
"chat_rate_limit": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string | null,
"duration_minutes": number,
"ended_at": string | null,
"event_id": string | null,
"id": string,
"kind": string,
"phase": number | null,
"price_cents": number,
"program_id": string | null,
"qa_moderation": boolean,
"replay_url": string | null,
"sequence": number,
"slow_mode_seconds": number,
"started_at": string | null,
"starts_at": string,
"status": string,
"thumbnail_url": string | null,
"timezone": string,
"title": string,
"topic": string | null,
"updated_at": string,
"visibility": string,
"waitlist_enabled": boolean
            }
                          SetofOptions: {
        from: "*"
        to: "sessions"
        isOneToOne: true
        isSetofReturn: false
      } },
"submit_survey_response":
{ Args: { "answers": Json,"survey_id": string }; Returns: Json
                           },
"survey_results":
{ Args: { "survey_id": string }; Returns: Json
                           },
"track_resource_download":
{ Args: { "resource_id": string }; Returns: Json
                           },
"track_resource_view":
{ Args: { "resource_id": string }; Returns: Json
                           },
"unassign_room":
{ Args: { "room_id": string,"user_id": string }; Returns: {
              "created_at": string,
"joined_at": string | null,
"room_id": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "room_assignments"
        isOneToOne: true
        isSetofReturn: false
      } },
"unban_user":
{ Args: { "session_id": string,"user_id": string }; Returns: boolean
                           },
"unhide_resource":
{ Args: { "resource_id": string }; Returns: {
              "author_id": string,
"body": string | null,
"created_at": string,
"description": string | null,
"duration_seconds": number | null,
"external_url": string | null,
"file_mime_type": string | null,
"file_path": string | null,
"file_size_bytes": number | null,
"hidden_at": string | null,
"hidden_by": string | null,
"hidden_reason": string | null,
"id": string,
"kind": string,
"language": string,
"page_count": number | null,
"published_at": string | null,
"search_config": string | null,
"search_title": string | null,
"search_vector": unknown,
"status": string,
"tags": (string)[],
"title": string,
"updated_at": string,
"visibility": string
            }
                          SetofOptions: {
        from: "*"
        to: "resources"
        isOneToOne: true
        isSetofReturn: false
      } },
"upvote_question":
{ Args: { "question_id": string }; Returns: Json
                           },
"vote_poll":
{ Args: { "option_ids": (string)[],"poll_id": string }; Returns: Json
                           },
"withdraw_upvote":
{ Args: { "question_id": string }; Returns: Json
                           }
          }
          Enums: {
            "account_status": "active"|"deactivated"|"deleted","app_role": "admin"|"coach"|"member","coach_application_status": "pending"|"approved"|"rejected","ticket_priority": "low"|"normal"|"high"|"urgent","ticket_status": "open"|"pending"|"resolved"|"closed"
          }
          CompositeTypes: {
            "resource_recommendation": {
                        "id": string | null,"title": string | null,"description": string | null,"kind": string | null,"language": string | null,"tags": (string)[] | null,"file_path": string | null,"external_url": string | null,"author_id": string | null,"published_at": string | null,"score": number | null,"reason": string | null,"reason_details": Json | null
                      },"resource_search_hit": {
                        "id": string | null,"title": string | null,"description": string | null,"kind": string | null,"language": string | null,"tags": (string)[] | null,"file_path": string | null,"external_url": string | null,"duration_seconds": number | null,"page_count": number | null,"author_id": string | null,"published_at": string | null,"rank": number | null,"matched": string | null
                      }
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            "account_status": ["active", "deactivated", "deleted"],"app_role": ["admin", "coach", "member"],"coach_application_status": ["pending", "approved", "rejected"],"ticket_priority": ["low", "normal", "high", "urgent"],"ticket_status": ["open", "pending", "resolved", "closed"]
          }
        }
} as const
